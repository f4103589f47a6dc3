ALTER TABLE heroes
    DROP COLUMN salary,
    DROP COLUMN public_id,
    DROP COLUMN profile,
    DROP COLUMN powers,
    DROP COLUMN rank;
DROP TYPE hero_rank;
