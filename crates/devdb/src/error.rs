//! The one error type of the helper. Every variant prints as a single line that
//! says what failed and what to do about it, because it is shown to a user as is.

use std::path::PathBuf;

/// Why no usable database URL could be produced.
///
/// All of these are problems of set-up (configuration, a missing server, missing
/// binaries), so programs exit with code 2 on them ([`Error::EXIT_CODE`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `DATABASE_URL` (or `.env`) could not be read or parsed.
    #[error(
        "DATABASE_URL is not a usable PostgreSQL URL ({reason}); expected postgres://user:password@host:port/database (see .env.example)"
    )]
    InvalidUrl {
        /// What was wrong with it.
        reason: String,
    },

    /// A setting other than the URL is wrong (a database name, a folder).
    #[error("{0}")]
    InvalidSetting(String),

    /// The server could not be reached and is not one we may start ourselves.
    #[error(
        "cannot reach PostgreSQL at {target}: {cause}; run `just up`, install PostgreSQL, or set DATABASE_URL to a server you can reach"
    )]
    Unreachable {
        /// The server, password redacted.
        target: String,
        /// The underlying failure, in one line.
        cause: String,
    },

    /// Nothing answers at devdb's highly available cluster, which is
    /// started only on request.
    #[error(
        "nothing answers at {target}, devdb's HA cluster in {dir}: {cause}; start it with `cargo run -p devdb -- ha up` (or `just ha-up`)"
    )]
    HaDown {
        /// The server, password redacted.
        target: String,
        /// The HA cluster's folder.
        dir: PathBuf,
        /// The underlying failure, in one line.
        cause: String,
    },

    /// Something accepted the connection but no PostgreSQL login came back
    /// within the connect deadline (or the TCP connect itself hung).
    #[error(
        "nothing at {target} completed a PostgreSQL login within {waited_s} s; is DATABASE_URL pointing at a PostgreSQL server? (PGCONNECT_TIMEOUT sets this deadline)"
    )]
    NoAnswer {
        /// The server, password redacted.
        target: String,
        /// The deadline that passed, in seconds.
        waited_s: u64,
    },

    /// The server answered but refused the credentials.
    #[error(
        "PostgreSQL at {target} refused to log in: {cause}; check the user and password in DATABASE_URL{hint}"
    )]
    AuthFailed {
        /// The server, password redacted.
        target: String,
        /// The server's message.
        cause: String,
        /// Extra advice, starting with "; " when present.
        hint: String,
    },

    /// Nothing answers on localhost and no server binaries were found to start one.
    #[error(
        "nothing answers at {target} and no PostgreSQL server binaries were found (looked in {searched}); install PostgreSQL (apt-get install postgresql), set PG_BINDIR, run `just up`, or set DATABASE_URL"
    )]
    NoServerBinaries {
        /// The server, password redacted.
        target: String,
        /// Where we looked.
        searched: String,
    },

    /// The local cluster could not be created or started.
    #[error("could not start the local PostgreSQL cluster in {dir}: {cause}")]
    StartFailed {
        /// The cluster folder.
        dir: PathBuf,
        /// What went wrong, with the relevant server log line when there is one.
        cause: String,
    },

    /// A statement the helper sent (create or drop a database) failed.
    #[error("{context}: {cause}")]
    Server {
        /// What we were doing.
        context: String,
        /// The server's message.
        cause: String,
    },

    /// A file-system operation on the cluster folder failed.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing, naming the path.
        context: String,
        /// The operating-system error.
        source: std::io::Error,
    },
}

impl Error {
    /// The process exit code for any of these errors: they are all set-up
    /// problems the user can fix, which the project reports with code 2.
    pub const EXIT_CODE: u8 = support::app::EXIT_USAGE;

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Renders a driver error as one short line: the server's own message when the
/// server said something, otherwise the innermost cause (e.g. "Connection refused").
pub(crate) fn describe(err: &postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return db.message().to_owned();
    }
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    if text.is_empty() {
        err.to_string()
    } else {
        text
    }
}

impl support::app::Failure for Error {
    fn exit_code(&self) -> u8 {
        Self::EXIT_CODE
    }
}
