-- Revision 2: teams, and the hero -> team link.
CREATE TABLE teams (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    headquarters TEXT
);
-- Deleting a team leaves its heroes teamless rather than deleting them.
ALTER TABLE heroes ADD COLUMN team_id BIGINT REFERENCES teams (id) ON DELETE SET NULL;
-- PostgreSQL does not index foreign keys by itself; joins and ON DELETE use it.
CREATE INDEX heroes_team_id_idx ON heroes (team_id);
