//! Every error the API returns is an RFC 9457 problem document,
//! `Content-Type: application/problem+json`:
//!
//! ```json
//! {"type": "about:blank", "title": "Conflict", "status": 409,
//!  "detail": "hero 'sandy' already exists; nothing from this request was saved"}
//! ```
//!
//! Client mistakes are 4xx with a `detail` that says what to change; a
//! database that cannot be reached in time is 503 with `Retry-After`; nothing
//! a client sends can produce a 500.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// How long a client is told to wait before retrying a 503.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// An RFC 9457 problem document, and the HTTP response it becomes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status code says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status code's reason phrase, e.g. `Not Found`.
    pub title: String,
    /// The HTTP status code, repeated in the body.
    pub status: u16,
    /// What went wrong in this request, in words a person can act on.
    pub detail: String,
}

impl Problem {
    /// A problem with `status` and a human `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
        }
    }

    /// 400: the request itself is malformed (bad JSON, a bad path or query).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 404: no such hero or team.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 422: well-formed, but a value breaks a rule (an empty name, a negative age).
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
    }

    /// 503: the database did not answer in time; try again later.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, detail)
    }

    /// The status as an [`StatusCode`].
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::warn!(status = self.status, detail = %self.detail, "request failed");
        }
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(RETRY_AFTER.as_secs()),
            );
        }
        response
    }
}

/// What a [`HeroStore`](crate::HeroStore) reports when a query fails. Each
/// example crate sorts its own error type into these, and this crate alone
/// decides the HTTP status of each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// A unique name was taken (`heroes.name`, `teams.name`): 409. Nothing
    /// of the unit of work was saved.
    AlreadyExists {
        /// `hero` or `team`.
        what: &'static str,
        /// The name that was already taken.
        name: String,
    },
    /// A hero's `team_id` names no team (a foreign key violation): 409, like
    /// a taken name, the request conflicts with what the database holds now.
    NoSuchTeam,
    /// The database could not be reached, no connection was free within the
    /// pool's timeout, or the connection was lost: 503 with `Retry-After`.
    Unavailable(String),
    /// Anything else: 500, logged. A bug or an unexpected server state.
    Internal(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::AlreadyExists { what, name } => write!(
                f,
                "{what} '{name}' already exists; nothing from this request was saved"
            ),
            Self::NoSuchTeam => write!(
                f,
                "team_id names no team; create the team first (POST /teams); nothing from this request was saved"
            ),
            Self::Unavailable(cause) => write!(
                f,
                "the database is unavailable ({cause}); retry after {} s",
                RETRY_AFTER.as_secs()
            ),
            Self::Internal(cause) => write!(f, "internal error: {cause}"),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(err: StoreError) -> Self {
        let status = match &err {
            StoreError::AlreadyExists { .. } => StatusCode::CONFLICT,
            StoreError::NoSuchTeam => StatusCode::CONFLICT,
            StoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            StoreError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, err.to_string())
    }
}

/// Whether a PostgreSQL error code (SQLSTATE) means "the database is not
/// usable right now" rather than "this request is wrong": class 08
/// (connection exception), 57P01–57P03 (the server is shutting down, or not
/// yet accepting connections), 57014 (the statement was cancelled, e.g. by
/// `statement_timeout`), 53300 (too many connections), 25006 (a write on a
/// server that is read-only: a standby, such as one HAProxy routes to a
/// moment before its promotion ends; book/src/high-availability.md). Each
/// store uses it to map such errors to [`StoreError::Unavailable`].
pub fn sqlstate_is_unavailable(code: &str) -> bool {
    code.starts_with("08")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "57014" | "53300" | "25006"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_problem_json_and_a_503_says_when_to_retry() {
        let response =
            Problem::from(StoreError::Unavailable("pool timed out".into())).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        let conflict = Problem::from(StoreError::AlreadyExists {
            what: "hero",
            name: "sandy".into(),
        });
        assert_eq!(conflict.status, 409);
        assert_eq!(conflict.title, "Conflict");
        assert!(conflict.detail.contains("'sandy'"), "{}", conflict.detail);
    }

    #[test]
    fn connection_errors_are_unavailable_and_data_errors_are_not() {
        for code in ["08006", "08001", "57P01", "57014", "53300", "25006"] {
            assert!(sqlstate_is_unavailable(code), "{code}");
        }
        for code in ["23505", "23503", "22P02", "42P01"] {
            assert!(!sqlstate_is_unavailable(code), "{code}");
        }
    }
}
