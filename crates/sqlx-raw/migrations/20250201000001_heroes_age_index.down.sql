DROP INDEX heroes_age_idx;
