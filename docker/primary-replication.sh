#!/bin/sh
# Run once by the postgres image when it creates the primary's data folder:
# lets the replica service stream WAL with the dev credentials (the image's
# own pg_hba.conf line covers ordinary connections, not replication).
set -e
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
