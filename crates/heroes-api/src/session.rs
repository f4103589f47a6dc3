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
//! until the first query ("autobegin"); then it checks a connection out and
//! begins a transaction. The handler ends it with [`Session::commit`]; if the
//! handler returns an error first, or the request deadline cancels it, the
//! session is dropped and rolls back, so a failed request leaves nothing
//! behind.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::{HeroStore, StoreError};

/// One request's unit of work on store `S` (see the module docs).
pub struct Session<S: HeroStore> {
    store: S,
    tx: Option<S::Tx>,
    /// The transaction's id, once a handler has asked to [`Session::write`].
    xid: Option<i64>,
}

impl<S: HeroStore> Session<S> {
    /// A session on `store` that has not begun yet.
    pub fn new(store: S) -> Self {
        Self {
            store,
            tx: None,
            xid: None,
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
            Some(tx) => tx,
            None => self.store.begin().await?,
        };
        Ok(self.tx.insert(tx))
    }

    /// `await session.commit()`: keeps the work and returns the connection.
    /// A session that never ran a query has nothing to commit.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let Some(tx) = self.tx.take() else {
            return Ok(());
        };
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

impl<S: HeroStore> FromRequestParts<S> for Session<S> {
    type Rejection = Infallible;

    async fn from_request_parts(_parts: &mut Parts, store: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::new(store.clone()))
    }
}
