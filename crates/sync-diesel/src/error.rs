//! What can go wrong, each as one readable line, and the exit code it maps to.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Every failure of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No usable database (bad `DATABASE_URL`, server down, wrong password).
    #[error(transparent)]
    Config(#[from] devdb::Error),

    /// A command line that parses but asks for something impossible.
    #[error("{0}")]
    Usage(String),

    /// An insert hit the unique name of `heroes` (or `teams`); the whole
    /// transaction it was part of was rolled back.
    #[error("{what} '{name}' already exists; nothing from this batch was saved")]
    AlreadyExists {
        /// "hero" or "team".
        what: &'static str,
        /// The name that was already taken.
        name: String,
    },

    /// No connection could be had from the pool in time (server gone, or every
    /// connection busy for longer than the pool's timeout).
    #[error("no database connection: {0}; is PostgreSQL running? (`just up`, `devdb status`)")]
    Pool(#[from] diesel::r2d2::PoolError),

    /// A migration failed; its own transaction was rolled back.
    #[error("migration failed: {0}")]
    Migration(String),

    /// Any other database error.
    #[error("database error: {0}")]
    Database(DieselError),
}

impl Error {
    /// 2 for configuration and usage problems, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) | Self::Usage(_) => devdb::Error::EXIT_CODE,
            _ => 1,
        }
    }
}

impl From<heroes_model::migrations::MigrationError> for Error {
    fn from(err: heroes_model::migrations::MigrationError) -> Self {
        use heroes_model::migrations::MigrationError;
        match err {
            MigrationError::Usage(text) => Self::Usage(text),
            MigrationError::Failed(text) => Self::Migration(text),
        }
    }
}

impl From<DieselError> for Error {
    /// Turns a unique-name violation into [`Error::AlreadyExists`]; everything
    /// else stays a database error.
    fn from(err: DieselError) -> Self {
        if let DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = &err {
            let what = match info.constraint_name() {
                Some("heroes_name_key") => Some("hero"),
                Some("teams_name_key") => Some("team"),
                _ => None,
            };
            if let (Some(what), Some(name)) = (what, info.details().and_then(duplicate_key)) {
                return Self::AlreadyExists { what, name };
            }
        }
        Self::Database(err)
    }
}

/// Extracts the value from PostgreSQL's `Key (name)=(sandy) already exists.`
fn duplicate_key(details: &str) -> Option<String> {
    details
        .strip_prefix("Key (name)=(")?
        .strip_suffix(") already exists.")
        .map(str::to_owned)
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::duplicate_key;

    #[test]
    fn the_duplicate_name_is_read_from_the_server_details() {
        assert_eq!(
            duplicate_key("Key (name)=(sandy) already exists.").as_deref(),
            Some("sandy")
        );
        // Names may themselves contain the delimiters.
        assert_eq!(
            duplicate_key("Key (name)=(a) (b)=(c) already exists.").as_deref(),
            Some("a) (b)=(c")
        );
        assert_eq!(duplicate_key("something else"), None);
    }
}
