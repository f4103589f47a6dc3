DROP INDEX heroes_team_id_idx;
ALTER TABLE heroes DROP COLUMN team_id;
DROP TABLE teams;
