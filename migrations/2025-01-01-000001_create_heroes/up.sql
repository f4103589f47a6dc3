-- Revision 1: the seed's Hero model as a table.
CREATE TABLE heroes (
    -- BIGSERIAL: 64-bit ids, so a bulk-load benchmark never runs out of them.
    id          BIGSERIAL PRIMARY KEY,
    -- UNIQUE: the tours look heroes up by name, and a duplicate name is the
    -- failure every crate must report cleanly ("hero 'x' already exists").
    name        TEXT        NOT NULL UNIQUE,
    secret_name TEXT,
    age         INTEGER,
    -- Which program wrote the row (the seed's app_src); the scalars().all()
    -- idiom filters on it, hence the index.
    app_src     TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX heroes_app_src_idx ON heroes (app_src);
