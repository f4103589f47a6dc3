//! Written by hand to match `migrations/` (what `diesel print-schema` would
//! print); the drift test in sync-diesel fails when the two disagree.

// ANCHOR: heroes
diesel::table! {
    /// Heroes: revision 1, plus `team_id` from revision 2.
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
