-- Revision 2: teams, and the hero -> team link (the seed's "interligações /
-- dependências" between tables).
CREATE TABLE teams (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    headquarters TEXT
);
-- Deleting a team leaves its heroes teamless rather than deleting them.
ALTER TABLE heroes ADD COLUMN team_id BIGINT REFERENCES teams (id) ON DELETE SET NULL;
-- PostgreSQL does not index foreign keys by itself; the join and ON DELETE
-- SET NULL both look heroes up by team_id.
CREATE INDEX heroes_team_id_idx ON heroes (team_id);
