-- Deliberately locking (CI must refuse it; reverted in the next commit):
-- a plain CREATE INDEX blocks every write to heroes while it builds.
CREATE INDEX heroes_age_idx ON heroes (age);
