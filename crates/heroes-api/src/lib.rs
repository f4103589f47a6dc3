//! The heroes HTTP API, written once for the four example crates: the study's
//! last section, "SQLAlchemy in an application with AsyncSession", where a
//! FastAPI handler receives `db: AsyncSession = Depends(get_session)`.
//!
//! What lives here is everything that must be the same in all four servers:
//! the request and response shapes and their validation ([`types`]), errors as
//! `application/problem+json` ([`problem`]), the session handed to each
//! request ([`session`]), the routes, their OpenAPI document and the
//! middleware ([`routes`]), and start-up and graceful shutdown ([`serve`](mod@serve)).
//! What each crate writes is a [`HeroStore`]: how to open a unit of work on
//! its own pool and run each endpoint's queries in it, on its own query
//! functions. That is the only part that differs between the four.
//!
//! ```text
//!  request ─► axum route ─► handler (here) ─► Session<S> ─► S::get_hero(tx, id) ─► PostgreSQL
//!                                            (begins on first use, commits when the handler
//!                                             succeeds, rolls back when it fails or is cancelled)
//! ```

/// `GET /heroes/export`: streaming rows through a bounded channel.
pub mod export;
/// A commit whose answer was lost: whether it took effect.
mod outcome;
/// Errors as RFC 9457 problem documents, and what a store may report.
pub mod problem;
/// The routes, their handlers, the middleware and the OpenAPI document.
pub mod routes;
/// What the OpenAPI document says each value may be.
pub mod schema;
/// `serve`: the command line options, logging, the listener and graceful shutdown.
pub mod serve;
/// The session a request's handler works in (`Depends(get_session)`).
pub mod session;
/// What each example crate implements: its unit of work and its queries.
pub mod store;
/// Request and response bodies, query strings, and their validation.
pub mod types;

pub use problem::{Problem, StoreError};
pub use routes::{ApiDoc, Deadlines, router};
pub use serve::{ServeArgs, serve};
pub use session::Session;
pub use store::{HeroStore, PoolStatus, StoreResult};
