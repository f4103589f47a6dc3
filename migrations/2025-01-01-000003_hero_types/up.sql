-- Revision 3: PostgreSQL's own types (book/src/types.md). Every new column
-- has a default or allows NULL, so rows written before it and servers built
-- before it keep working.
-- heroes has live traffic by now: wait at most 5 s for its lock (then fail and
-- retry the deploy) rather than queue every query behind this migration.
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';
CREATE TYPE hero_rank AS ENUM ('rookie', 'veteran', 'legend');
ALTER TABLE heroes
    ADD COLUMN rank hero_rank NOT NULL DEFAULT 'rookie',
    ADD COLUMN powers TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN profile JSONB,
    ADD COLUMN public_id UUID NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    ADD COLUMN salary NUMERIC(12, 2);
