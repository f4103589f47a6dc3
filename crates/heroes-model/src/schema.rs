//! Written by hand to match `migrations/` (what `diesel print-schema` would
//! print); the drift test in sync-diesel fails when the two disagree.

// ANCHOR: sql_types
/// The database's own types that Diesel has no built-in name for.
pub mod sql_types {
    /// PostgreSQL's `hero_rank` enum (revision 3); `heroes_model::HeroRank`
    /// is its Rust side.
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "hero_rank"))]
    pub struct HeroRank;
}
// ANCHOR_END: sql_types

// ANCHOR: heroes
diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::HeroRank;

    /// Heroes: revision 1, `team_id` from revision 2, PostgreSQL's own
    /// types from revision 3.
    heroes (id) {
        /// `BIGSERIAL PRIMARY KEY`
        id -> Int8,
        /// `TEXT NOT NULL UNIQUE`
        name -> Text,
        /// `TEXT`
        secret_name -> Nullable<Text>,
        /// `INTEGER`
        age -> Nullable<Int4>,
        /// `TEXT NOT NULL`, indexed
        app_src -> Text,
        /// `TIMESTAMPTZ NOT NULL DEFAULT now()`
        created_at -> Timestamptz,
        /// `BIGINT REFERENCES teams (id) ON DELETE SET NULL`, indexed
        team_id -> Nullable<Int8>,
        /// `hero_rank NOT NULL DEFAULT 'rookie'`
        rank -> HeroRank,
        /// `TEXT[] NOT NULL DEFAULT '{}'`. PostgreSQL cannot declare the
        /// elements NOT NULL; `Array<Text>` says this code never stores a NULL
        /// in it (reading one is an error; `Array<Nullable<Text>>` would read
        /// it as `None`).
        powers -> Array<Text>,
        /// `JSONB`
        profile -> Nullable<Jsonb>,
        /// `UUID NOT NULL UNIQUE DEFAULT gen_random_uuid()`
        public_id -> Uuid,
        /// `NUMERIC(12, 2)`
        salary -> Nullable<Numeric>,
    }
}
// ANCHOR_END: heroes

diesel::table! {
    /// Teams: revision 2.
    teams (id) {
        /// `BIGSERIAL PRIMARY KEY`
        id -> Int8,
        /// `TEXT NOT NULL UNIQUE`
        name -> Text,
        /// `TEXT`
        headquarters -> Nullable<Text>,
    }
}

diesel::joinable!(heroes -> teams (team_id));
diesel::allow_tables_to_appear_in_same_query!(heroes, teams);
