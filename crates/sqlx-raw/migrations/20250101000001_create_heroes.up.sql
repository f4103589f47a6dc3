-- Revision 1: the seed's Hero model as a table (the same schema as the diesel
-- and SeaORM crates produce; see DESIGN.md).
CREATE TABLE heroes (
    -- BIGSERIAL: 64-bit ids, so bulk loads never run out of them.
    id          BIGSERIAL PRIMARY KEY,
    -- UNIQUE: lookups by name, and the duplicate-name error every crate reports.
    name        TEXT        NOT NULL UNIQUE,
    secret_name TEXT,
    age         INTEGER,
    -- Which program wrote the row (the seed's app_src); filtered on, hence indexed.
    app_src     TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX heroes_app_src_idx ON heroes (app_src);
