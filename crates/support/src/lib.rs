//! What the example binaries share that is not their lesson: the options they
//! all take, exit codes, a tokio runtime for synchronous callers, the printed
//! shape of the tours and the source snippets they print, the settings a
//! deployment adds, reading a duplicate name out of PostgreSQL's error, and
//! (feature `diesel`) the migration verbs both diesel crates run.
//!
//! Nothing here opens a connection of its own (that is `devdb`) or describes
//! the model (that is `heroes-model`); each example's `main.rs` shows its own
//! runtime, `DATABASE_URL` and pool, and calls [`app::exit`] at the end.

/// Around every example binary: shared options, parsing, exit codes, runtimes.
pub mod app;
pub mod deadlines;
/// What the two diesel crates share: echo, error sorting, the migration verbs.
#[cfg(feature = "diesel")]
pub mod diesel;
/// The common shape of every crate's tour output, and `ECHO=1` for sqlx.
pub mod narrate;
pub mod production;
pub mod snippet;

/// Reads PostgreSQL's report of a unique violation on a name column:
/// `Some(("hero", "sandy"))` for constraint `heroes_name_key` with detail
/// `Key (name)=(sandy) already exists.`, `None` for anything else. Each crate
/// feeds it the constraint and detail from its own driver's error type.
pub fn unique_name_violation(
    constraint: Option<&str>,
    detail: Option<&str>,
) -> Option<(&'static str, String)> {
    let what = match constraint? {
        "heroes_name_key" => "hero",
        "teams_name_key" => "team",
        _ => return None,
    };
    let name = detail?
        .strip_prefix("Key (name)=(")?
        .strip_suffix(") already exists.")?;
    Some((what, name.to_owned()))
}

/// Whether a SQLSTATE means the connection is gone: class 08 (connection
/// exception), 57P01 (the server is ending sessions: `pg_terminate_backend`,
/// a fast shutdown) or 57P02 (crash shutdown). Nothing more can run on it; a
/// pool should drop it, and work that had not started may start again on
/// another connection.
pub fn sqlstate_means_connection_lost(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02")
}

/// Whether a sqlx error means the connection itself is gone: a socket or
/// protocol error, or one of the SQLSTATEs of
/// [`sqlstate_means_connection_lost`]. sqlx-raw and SeaORM (which runs on
/// sqlx) retry a `BEGIN` that fails this way.
#[cfg(feature = "sqlx")]
pub fn sqlx_connection_lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| sqlstate_means_connection_lost(&code)),
        _ => false,
    }
}

/// A hint for an error that comes from PgBouncer's transaction mode: a
/// named prepared statement that the next transaction's server connection
/// does not have (`prepared statement "__diesel_stmt_1" already exists`, `..
/// "sqlx_s_1" does not exist`). `cure` says what this crate can do about it
/// (sync-diesel: `STATEMENT_CACHE=off`; the others: session mode). Empty for
/// any other error, so it can follow every database error's text.
pub fn pooler_hint(error: &str, cure: &str) -> String {
    let named_statement = error.contains("prepared statement \"")
        && (error.contains("already exists") || error.contains("does not exist"));
    if named_statement {
        format!("; is DATABASE_URL a PgBouncer in transaction mode? {cure} (book/src/scaling.md)")
    } else {
        String::new()
    }
}

/// The one line for a `DATABASE_URL` that an sqlx-based crate (sqlx-raw,
/// seaorm-migrate) cannot parse, `cause` being sqlx's reason. sqlx reads the
/// URL as one `url::Url` with one `host:port` (sqlx-postgres's
/// `options/parse.rs`; transact-rs/sqlx#179 asks for more), so a multi-host
/// URL of a primary and its standbys is refused; then this says what to use
/// instead. The URL itself is not repeated: it holds the password.
pub fn unparsable_url(library: &str, cause: &str) -> String {
    let multi_host = std::env::var("DATABASE_URL").is_ok_and(|url| {
        let authority = url.split("://").nth(1).unwrap_or_default();
        let authority = authority.split(['/', '?']).next().unwrap_or_default();
        authority
            .rsplit('@')
            .next()
            .unwrap_or_default()
            .contains(',')
    });
    let hint = if multi_host {
        format!(
            "; {library} takes one host:port, and DATABASE_URL names several: point it at one \
             address that always reaches the primary, such as HAProxy's \
             (`cargo run -p devdb -- ha url --via haproxy`; book/src/high-availability.md)"
        )
    } else {
        " (see .env.example)".to_owned()
    };
    format!("DATABASE_URL is not a URL {library} can use: {cause}{hint}")
}

/// `STATEMENT_CACHE`: `on` (the default) or `off`, whether each engine keeps
/// its library's prepared-statement cache. `off` is for PgBouncer's
/// transaction mode (book/src/scaling.md says which library it helps).
pub fn statement_cache_from_env() -> Result<bool, String> {
    match std::env::var("STATEMENT_CACHE")
        .ok()
        .as_deref()
        .map(str::trim)
    {
        None | Some("" | "on") => Ok(true),
        Some("off") => Ok(false),
        Some(other) => Err(format!("STATEMENT_CACHE must be on or off, not '{other}'")),
    }
}

/// `POOL_SIZE`: the most connections `serve`'s pool opens, a whole number
/// of at least 1; `None` when unset or empty (the crate's default).
pub fn pool_size_from_env() -> Result<Option<u32>, String> {
    parse_pool_size(std::env::var("POOL_SIZE").ok().as_deref())
}

/// [`pool_size_from_env`] on a value given.
pub fn parse_pool_size(value: Option<&str>) -> Result<Option<u32>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => match text.parse::<u32>() {
            Ok(0) => Err("POOL_SIZE must be at least 1".to_owned()),
            Ok(n) => Ok(Some(n)),
            Err(_) => Err(format!(
                "POOL_SIZE must be a whole number of connections, at least 1, not '{text}'"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_pool_size, pooler_hint, unique_name_violation};

    #[test]
    fn pool_size_is_a_whole_number_of_at_least_one() {
        assert_eq!(parse_pool_size(None), Ok(None));
        assert_eq!(parse_pool_size(Some(" ")), Ok(None));
        assert_eq!(parse_pool_size(Some("16")), Ok(Some(16)));
        let zero = parse_pool_size(Some("0")).unwrap_err();
        assert!(zero.contains("at least 1"), "{zero}");
        let words = parse_pool_size(Some("eight")).unwrap_err();
        assert!(words.contains("'eight'"), "{words}");
    }

    #[test]
    fn only_a_missing_or_doubled_prepared_statement_gets_the_pooler_hint() {
        let cure = "set STATEMENT_CACHE=off";
        let hint = pooler_hint(
            "prepared statement \"__diesel_stmt_1\" already exists",
            cure,
        );
        assert!(hint.contains("STATEMENT_CACHE=off"), "{hint}");
        assert!(hint.contains("book/src/scaling.md"), "{hint}");
        assert!(!pooler_hint("prepared statement \"sqlx_s_2\" does not exist", cure).is_empty());
        assert_eq!(pooler_hint("relation \"heroes\" does not exist", cure), "");
    }

    #[test]
    fn the_duplicate_name_is_read_from_the_server_report() {
        let detail = |name: &str| format!("Key (name)=({name}) already exists.");
        assert_eq!(
            unique_name_violation(Some("heroes_name_key"), Some(&detail("sandy"))),
            Some(("hero", "sandy".to_owned()))
        );
        assert_eq!(
            unique_name_violation(Some("teams_name_key"), Some(&detail("Krusty Krab Crew"))),
            Some(("team", "Krusty Krab Crew".to_owned()))
        );
        // Names may themselves contain the delimiters.
        assert_eq!(
            unique_name_violation(Some("heroes_name_key"), Some(&detail("a) (b)=(c"))),
            Some(("hero", "a) (b)=(c".to_owned()))
        );
        assert_eq!(
            unique_name_violation(Some("heroes_pkey"), Some(&detail("1"))),
            None
        );
        assert_eq!(unique_name_violation(None, Some(&detail("x"))), None);
        assert_eq!(
            unique_name_violation(Some("heroes_name_key"), Some("other")),
            None
        );
    }
}
