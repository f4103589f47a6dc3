//! How long every engine waits on the server, read once from the
//! environment so that the four crates and `devdb` agree: a server that
//! accepts the TCP connection and never answers the login must not hang a
//! program, and a statement may be given a limit.

use std::time::Duration;

/// The deadlines an engine applies to its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// TCP connect plus login (`PGCONNECT_TIMEOUT`, whole seconds, default 5;
    /// libpq reads the same variable).
    pub connect: Duration,
    /// The server cancels any statement running longer
    /// (`STATEMENT_TIMEOUT_MS`, PostgreSQL's `statement_timeout`; default
    /// none, and 0 also means none).
    pub statement: Option<Duration>,
}

/// The connect deadline when `PGCONNECT_TIMEOUT` is not set.
pub const DEFAULT_CONNECT: Duration = Duration::from_secs(5);

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            connect: DEFAULT_CONNECT,
            statement: None,
        }
    }
}

impl Deadlines {
    /// Reads `PGCONNECT_TIMEOUT` and `STATEMENT_TIMEOUT_MS`; an error names
    /// the variable and what it must be.
    pub fn from_env() -> Result<Self, String> {
        Self::from_values(
            std::env::var("PGCONNECT_TIMEOUT").ok().as_deref(),
            std::env::var("STATEMENT_TIMEOUT_MS").ok().as_deref(),
        )
    }

    /// [`Deadlines::from_env`], or the defaults where a value is unusable
    /// (for engine defaults: `devdb` has already refused such a value with a
    /// clear error before any engine is built).
    pub fn from_env_or_default() -> Self {
        Self::from_env().unwrap_or_default()
    }

    /// The deadlines given the two variables' values, if set.
    pub fn from_values(connect: Option<&str>, statement: Option<&str>) -> Result<Self, String> {
        let connect = match connect.map(str::trim) {
            None | Some("") => DEFAULT_CONNECT,
            Some(text) => match text.parse::<u64>() {
                Ok(secs) if (1..=3600).contains(&secs) => Duration::from_secs(secs),
                _ => {
                    return Err(format!(
                        "PGCONNECT_TIMEOUT={text:?} is not usable: give whole seconds from 1 to 3600 (default 5)"
                    ));
                }
            },
        };
        let statement = match statement.map(str::trim) {
            None | Some("" | "0") => None,
            Some(text) => match text.parse::<u64>() {
                Ok(ms) => Some(Duration::from_millis(ms)),
                Err(_) => {
                    return Err(format!(
                        "STATEMENT_TIMEOUT_MS={text:?} is not usable: give milliseconds, or 0 for no limit"
                    ));
                }
            },
        };
        Ok(Self { connect, statement })
    }

    /// `url` with these deadlines as connection parameters that libpq and
    /// tokio-postgres both read: `connect_timeout` (seconds), `keepalives=1`
    /// and, when there is a statement limit, `options=-c statement_timeout=N`.
    /// Parameters already in `url` are kept as they are.
    pub fn in_url(&self, url: &str) -> Result<String, String> {
        // Not parsed as a `url::Url`: a multi-host URL (`h1:5432,h2:5433`,
        // which libpq and tokio-postgres accept) is not one.
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(format!(
                "DATABASE_URL is not a usable URL: {url:?} does not start with postgres://"
            ));
        }
        let (base, fragment) = url
            .split_once('#')
            .map_or((url, None), |(b, f)| (b, Some(f)));
        let (base, query) = base.split_once('?').map_or((base, ""), |(b, q)| (b, q));
        let present: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, _)| k.into_owned())
            .collect();
        let has = |key: &str| present.iter().any(|k| k == key);
        // Written by hand: libpq does not read `+` as a space, as form
        // encoding would write it.
        let mut query: Vec<String> = Some(query.to_owned())
            .filter(|q| !q.is_empty())
            .into_iter()
            .collect();
        if !has("connect_timeout") {
            query.push(format!("connect_timeout={}", self.connect.as_secs()));
        }
        if !has("keepalives") {
            query.push("keepalives=1".to_owned());
        }
        if let (Some(limit), false) = (self.statement, has("options")) {
            query.push(format!(
                "options=-c%20statement_timeout%3D{}",
                limit.as_millis()
            ));
        }
        let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
        Ok(format!("{base}?{}{fragment}", query.join("&")))
    }
}

/// The one line a read-your-writes wait gives when the replica has not
/// replayed the writer's WAL position `lsn` within `waited`.
pub fn replica_behind(lsn: &str, waited: Duration) -> String {
    format!(
        "the replica had not replayed the primary's WAL up to {lsn} after {} ms; is it streaming? (`devdb status`)",
        waited.as_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_or_say_what_is_wrong() {
        assert_eq!(Deadlines::from_values(None, None), Ok(Deadlines::default()));
        let set = Deadlines::from_values(Some("2"), Some("250")).unwrap();
        assert_eq!(set.connect, Duration::from_secs(2));
        assert_eq!(set.statement, Some(Duration::from_millis(250)));
        assert_eq!(
            Deadlines::from_values(None, Some("0")).unwrap().statement,
            None
        );
        assert!(
            Deadlines::from_values(Some("0"), None)
                .unwrap_err()
                .contains("PGCONNECT_TIMEOUT")
        );
        assert!(
            Deadlines::from_values(None, Some("soon"))
                .unwrap_err()
                .contains("STATEMENT_TIMEOUT_MS")
        );
    }

    #[test]
    fn the_url_gets_the_deadlines_and_keeps_its_own() {
        let d = Deadlines::from_values(Some("3"), Some("100")).unwrap();
        let url = d.in_url("postgres://u:p@h:5432/db").unwrap();
        assert_eq!(
            url,
            "postgres://u:p@h:5432/db?connect_timeout=3&keepalives=1&options=-c%20statement_timeout%3D100"
        );
        let kept = d.in_url("postgres://u:p@h/db?connect_timeout=9").unwrap();
        assert!(kept.contains("connect_timeout=9") && !kept.contains("connect_timeout=3"));
        // A multi-host URL (a primary and its standbys) keeps every host.
        let many = d
            .in_url("postgres://u:p@h1:5432,h2:5433/db?target_session_attrs=read-write")
            .unwrap();
        assert_eq!(
            many,
            "postgres://u:p@h1:5432,h2:5433/db?target_session_attrs=read-write&connect_timeout=3&keepalives=1&options=-c%20statement_timeout%3D100"
        );
        assert!(d.in_url("mysql://u@h/db").is_err());
    }
}
