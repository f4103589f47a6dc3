//! What the two diesel crates share and neither teaches: `ECHO=1` as a diesel
//! instrumentation, reading a diesel error, and the migration verbs over the
//! workspace's `migrations/` ([`migrate`](crate::diesel::migrate)). sync-diesel runs them on a
//! blocking `PgConnection`, async-diesel on diesel-async's connection wrapper;
//! both report errors as `diesel::result::Error`.

pub mod migrate;

use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use diesel::result::{DatabaseErrorKind, Error};

/// `echo=True` for both diesel crates: from now on every new connection (sync
/// or async) prints each SQL statement, with its bind values, before sending it.
pub fn enable_echo() {
    fn echo() -> Option<Box<dyn Instrumentation>> {
        Some(Box::new(|event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                crate::narrate::sql(query);
            }
        }))
    }
    // Fails only if another thread panicked while setting it; echo is a
    // debugging aid, so carry on without it then.
    let _ = set_default_instrumentation(echo);
}

/// A diesel error with its causes, one after the other: diesel's message
/// for a value it could not read names only the field ("Error deserializing
/// field 'rank'"), and the reason (an unknown enum label, say) is its source.
pub fn describe(err: &Error) -> String {
    let mut text = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(inner) = cause {
        let line = inner.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        cause = inner.source();
    }
    text
}

/// Reads a unique-name violation from a diesel error: `Some(("hero",
/// "sandy"))` when an insert hit `heroes_name_key` with the name "sandy",
/// `None` for any other error.
pub fn already_exists(err: &Error) -> Option<(&'static str, String)> {
    let Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = err else {
        return None;
    };
    crate::unique_name_violation(info.constraint_name(), info.details())
}

/// What a diesel error means to a caller that must answer for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trouble {
    /// A foreign key pointed nowhere (a hero's `team_id` names no team).
    MissingReference,
    /// The connection is gone or the server is ending sessions: try later.
    Unavailable,
    /// Anything else.
    Other,
}

/// The server's own words for the errors `crate::sqlstate_is_unavailable`
/// names by SQLSTATE, which diesel does not report: a session being ended
/// (57P01, 57P02), a server shutting down or starting up (57P03), a
/// statement cancelled, by `statement_timeout` or otherwise (57014), no
/// connection slot left (53300).
const UNAVAILABLE_MESSAGES: [&str; 5] = [
    "terminating connection",
    "the database system is",
    "canceling statement due to statement timeout",
    "canceling statement due to user request",
    "sorry, too many clients",
];

/// A write on a read-only server (25006: a standby, or one not yet done
/// being promoted): `cannot execute … in a read-only transaction`, `cannot
/// execute … during recovery`.
fn read_only(message: &str) -> bool {
    message.starts_with("cannot execute ")
        && (message.ends_with("in a read-only transaction") || message.ends_with("during recovery"))
}

/// Sorts a diesel error into a [`Trouble`]. Diesel reports no SQLSTATE, so
/// the errors that mean "not now" are told by the server's own words
/// (`UNAVAILABLE_MESSAGES`).
pub fn trouble(err: &Error) -> Trouble {
    let Error::DatabaseError(kind, info) = err else {
        return Trouble::Other;
    };
    match kind {
        DatabaseErrorKind::ForeignKeyViolation => Trouble::MissingReference,
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
            Trouble::Unavailable
        }
        _ if UNAVAILABLE_MESSAGES
            .iter()
            .any(|words| info.message().starts_with(words))
            || read_only(info.message()) =>
        {
            Trouble::Unavailable
        }
        _ => Trouble::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(message: &str) -> Error {
        Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message.to_owned()))
    }

    #[test]
    fn the_servers_words_for_not_now_are_unavailable_and_others_are_not() {
        for message in [
            "terminating connection due to administrator command",
            "the database system is shutting down",
            "the database system is starting up",
            "canceling statement due to statement timeout",
            "canceling statement due to user request",
            "sorry, too many clients already",
            "cannot execute INSERT in a read-only transaction",
            "cannot execute pg_current_xact_id() during recovery",
        ] {
            assert_eq!(
                trouble(&server_error(message)),
                Trouble::Unavailable,
                "{message}"
            );
        }
        for message in [
            "relation \"heroes\" does not exist",
            "canceling statement due to lock timeout",
            "cannot execute this in a way nobody expected",
        ] {
            assert_eq!(trouble(&server_error(message)), Trouble::Other, "{message}");
        }
    }
}
