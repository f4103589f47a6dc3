//! The session a handler works in: the Rust side of FastAPI's
//!
//! ```python
//! async def get_session():
//!     async with async_session() as session:
//!         yield session
//!
//! @app.get("/heroes/{hero_id}")
//! async def get_hero(hero_id: int, db: AsyncSession = Depends(get_session)): ...
//! ```
//!
//! [`Session`] is an axum extractor: a handler that lists it as an argument
//! gets one per request. Like an `AsyncSession` it does not touch the pool
//! until the handler asks for a connection, and the handler says which kind:
//!
//! - [`Session::tx`] checks a connection out and begins a transaction
//!   (SQLAlchemy's "autobegin", which `AsyncSession` does on the first query
//!   whatever it is). The handler ends it with [`Session::commit`]; if the
//!   handler returns an error first, or the request deadline cancels it, the
//!   session is dropped and rolls back, so a failed request leaves nothing
//!   behind.
//! - [`Session::autocommit`] checks a connection out without `BEGIN`, for a
//!   handler whose whole unit of work is one statement (a `GET` by id): that
//!   statement is its own transaction, so the request costs one round trip
//!   instead of three. SQLAlchemy's spelling is
//!   `execution_options(isolation_level="AUTOCOMMIT")`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::{HeroStore, StoreError};

/// One request's unit of work on store `S` (see the module docs).
pub struct Session<S: HeroStore> {
    store: S,
    tx: Option<S::Tx>,
    /// The transaction's id, once a handler has asked to [`Session::write`].
    xid: Option<crate::outcome::Written>,
    /// Whether `tx` came from [`Session::autocommit`] (no `BEGIN`).
    autocommit: bool,
    /// Told when a write's `COMMIT` is sent (see [`CommitSent`]).
    commit_sent: Option<CommitSent>,
}

/// Whether the request's write has sent its `COMMIT`. The router puts one in
/// each request and reads it when the request deadline passes: until the
/// commit is sent, the session's rollback makes "nothing was saved" true;
/// after, the transaction may have committed, and the answer says that its
/// outcome is unknown instead (`crate::routes`).
#[derive(Clone, Debug, Default)]
pub(crate) struct CommitSent(Arc<AtomicBool>);

impl CommitSent {
    /// Whether a write of this request has sent its `COMMIT`.
    pub(crate) fn is_sent(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
    fn mark_sent(&self) {
        self.0.store(true, Ordering::Release);
    }
}

impl<S: HeroStore> Session<S> {
    /// A session on `store` that has not begun yet.
    pub fn new(store: S) -> Self {
        Self {
            store,
            tx: None,
            xid: None,
            autocommit: false,
            commit_sent: None,
        }
    }

    /// The open transaction, for a handler that writes. The first call also
    /// reads the transaction's id (one round trip), so that a commit whose
    /// answer is lost with the connection can still be answered truthfully
    /// (production hardening: `crate::outcome`).
    pub async fn write(&mut self) -> Result<&mut S::Tx, StoreError> {
        if self.xid.is_none() {
            self.xid = Some(crate::outcome::transaction_id::<S>(self.tx().await?).await?);
        }
        self.tx().await
    }

    // ANCHOR: session
    /// The open transaction, beginning it on first use (pool checkout + `BEGIN`).
    pub async fn tx(&mut self) -> Result<&mut S::Tx, StoreError> {
        let tx = match self.tx.take() {
            Some(_) if self.autocommit => return Err(Self::mixed()),
            Some(tx) => tx,
            None => self.store.begin().await?,
        };
        Ok(self.tx.insert(tx))
    }

    /// A pooled connection without `BEGIN`, for a handler whose whole unit of
    /// work is one statement: PostgreSQL runs it as its own transaction.
    pub async fn autocommit(&mut self) -> Result<&mut S::Tx, StoreError> {
        let conn = match self.tx.take() {
            Some(_) if !self.autocommit => return Err(Self::mixed()),
            Some(conn) => conn,
            None => self.store.connect().await?,
        };
        self.autocommit = true;
        Ok(self.tx.insert(conn))
    }

    /// `await session.commit()`: keeps the work and returns the connection.
    /// A session that never ran a query has nothing to commit.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let Some(tx) = self.tx.take() else {
            return Ok(());
        };
        if let (Some(sent), Some(_)) = (&self.commit_sent, self.xid) {
            sent.mark_sent();
        }
        match (S::commit(tx).await, self.xid) {
            // The connection went with the answer: did the write commit?
            (Err(StoreError::Unavailable(cause)), Some(xid)) => {
                crate::outcome::settle(&self.store, xid, cause).await
            }
            (result, _) => result,
        }
    }
}

impl<S: HeroStore> Drop for Session<S> {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            S::rollback(tx);
        }
    }
}
// ANCHOR_END: session

impl<S: HeroStore> Session<S> {
    /// A handler asked for both kinds of connection: a bug in the handler.
    fn mixed() -> StoreError {
        StoreError::Internal("a handler mixed `tx()` and `autocommit()` in one session".into())
    }
}

impl<S: HeroStore> FromRequestParts<S> for Session<S> {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, store: &S) -> Result<Self, Self::Rejection> {
        let mut session = Self::new(store.clone());
        session.commit_sent = parts.extensions.get::<CommitSent>().cloned();
        Ok(session)
    }
}
