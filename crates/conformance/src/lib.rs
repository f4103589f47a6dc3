//! One conformance and failure suite for the four example crates.
//!
//! The scenarios ([`scenarios::SCENARIOS`]) are written once, as generic
//! bodies over the [`Stack`] trait; each example crate plugs in through one
//! small implementation of it ([`stacks`]). Every scenario checks the
//! database's state through an independent connection ([`observer`]), not
//! only what the stack returned. `cargo test --workspace` runs every scenario
//! for every stack (`tests/conformance.rs`); `just conformance` runs them all
//! again and writes the answers to `book/src/behaviour.md` ([`report`]).
//!
//! Adding a fifth crate means implementing [`Stack`] for it and adding one
//! line to `tests/conformance.rs` and to [`report::run_all`], nothing else.

use std::ffi::OsString;
use std::fmt;
use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use heroes_model::{Hero, HeroSearch, HeroTypes, NewHero, NewTeam, Team, TypedHero};
use tokio::sync::oneshot;

pub mod harness;
pub mod observer;
pub mod report;
pub mod scenarios;
pub mod stacks;

/// What kind of failure a stack reported, as far as a caller can act on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A unique name was taken ("already exists"); the batch was rolled back.
    AlreadyExists,
    /// No connection came free (or could be opened) within the pool's wait.
    PoolTimeout,
    /// The server could not be reached or the connection broke.
    Unavailable,
    /// Configuration or usage: a bad URL, refused credentials (exit code 2).
    Config,
    /// Any other database error (e.g. a value the server rejects).
    Other,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AlreadyExists => "already-exists",
            Self::PoolTimeout => "pool-timeout",
            Self::Unavailable => "unavailable",
            Self::Config => "config",
            Self::Other => "database",
        })
    }
}

/// A stack's error, classified, with the one line its binary would print.
#[derive(Clone, Debug)]
pub struct StackError {
    /// The classification.
    pub kind: Kind,
    /// The exit code the stack's binary maps this error to.
    pub exit_code: u8,
    /// The error's message, as the binary prints it.
    pub message: String,
}

impl StackError {
    /// An error of `kind` with its message.
    pub fn new(kind: Kind, exit_code: u8, message: impl fmt::Display) -> Self {
        Self {
            kind,
            exit_code,
            message: message.to_string(),
        }
    }
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.kind, self.message)
    }
}

/// Shorthand for a stack operation's result.
pub type StackResult<T> = Result<T, StackError>;

/// The pool every scenario asks a stack to build.
#[derive(Clone, Copy, Debug)]
pub struct PoolConfig {
    /// Most connections open at once.
    pub max_size: u32,
    /// How long a caller waits for a connection before a pool-timeout error.
    pub acquire_timeout: Duration,
    /// Connect-and-login and statement deadlines.
    pub deadlines: support::deadlines::Deadlines,
    /// Keep each library's prepared-statement cache (its default); off for
    /// PgBouncer's transaction mode.
    pub statement_cache: bool,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_size: 8,
            acquire_timeout: Duration::from_secs(10),
            deadlines: support::deadlines::Deadlines::default(),
            statement_cache: true,
        }
    }
}

/// Teams with their heroes as each loading strategy gave them, by name.
pub type Strategies = Vec<(&'static str, Vec<heroes_model::TeamWithHeroes>)>;

/// What every example crate offers, through its own idioms: an engine (a
/// pool), migrations, and the study's query idioms, each in its own session
/// (one transaction, committed on success, rolled back on error).
pub trait Stack: Clone + Send + Sync + 'static {
    /// The crate's (and binary's) name, e.g. `sync-diesel`.
    const NAME: &'static str;

    /// The crate's command line, run in-process with `args` (the first is the
    /// program name): the steps of the crate's `main.rs` (URL, output, engine,
    /// command), with errors returned as an exit code instead of ending the
    /// process, for this suite and the benchmark.
    fn cli_main(args: Vec<OsString>) -> ExitCode;

    /// `create_engine(url)`: a pool of the given size and wait, with one
    /// connection opened to prove the server answers.
    fn connect(url: &str, pool: PoolConfig) -> impl Future<Output = StackResult<Self>> + Send;

    /// Applies every pending migration; returns their names.
    fn migrate_up(&self) -> impl Future<Output = StackResult<Vec<String>>> + Send;

    /// Reverts every applied migration; returns their names, newest first.
    fn migrate_down_all(&self) -> impl Future<Output = StackResult<Vec<String>>> + Send;

    /// Inserts teams in one transaction, returning them with their ids.
    fn add_teams(&self, rows: &[NewTeam]) -> impl Future<Output = StackResult<Vec<Team>>> + Send;

    /// `session.add_all(rows)` + `commit()`: all rows or none.
    fn add_all(&self, rows: &[NewHero]) -> impl Future<Output = StackResult<Vec<Hero>>> + Send;

    /// One unit of work of two statements: insert `team`, then `heroes`
    /// pointing at it (`session.add(team)`, `session.add_all(heroes)`,
    /// `commit()`): both or neither.
    fn add_team_with_heroes(
        &self,
        team: &NewTeam,
        heroes: &[NewHero],
    ) -> impl Future<Output = StackResult<(Team, Vec<Hero>)>> + Send;

    /// `session.get(Hero, id)`.
    fn get(&self, id: i64) -> impl Future<Output = StackResult<Option<Hero>>> + Send;

    /// `select(Hero).where(Hero.name == name)` + `scalar_one_or_none()`.
    fn by_name(&self, name: &str) -> impl Future<Output = StackResult<Option<Hero>>> + Send;

    /// `scalar()`: one column of one row (the secret name); `None` when no
    /// hero has that name.
    fn secret_name_of(
        &self,
        name: &str,
    ) -> impl Future<Output = StackResult<Option<Option<String>>>> + Send;

    /// `scalars().all()` filtered by `app_src`, ordered by id.
    fn by_app_src(&self, app_src: &str) -> impl Future<Output = StackResult<Vec<Hero>>> + Send;

    /// Heroes of `app_src` joined to their team (left outer join).
    fn with_teams(
        &self,
        app_src: &str,
    ) -> impl Future<Output = StackResult<Vec<(Hero, Option<Team>)>>> + Send;

    /// The update idiom: `age += 1` for the named hero; the updated row.
    fn birthday(&self, name: &str) -> impl Future<Output = StackResult<Option<Hero>>> + Send;

    /// Every team with its heroes, by each strategy the crate's
    /// `beyond.rs` has (the N+1 loop first), each with its name.
    fn teams_with_heroes(&self) -> impl Future<Output = StackResult<Strategies>> + Send;

    /// The dynamic-filter query of `beyond.rs`, one page.
    fn search(&self, search: &HeroSearch) -> impl Future<Output = StackResult<Vec<Hero>>> + Send;

    /// The streaming query of `beyond.rs`, collected row by row.
    fn stream(&self, search: &HeroSearch) -> impl Future<Output = StackResult<Vec<Hero>>> + Send;

    /// Sets the named hero's revision 3 columns (the crate's
    /// `types::set_types`); the stored row, or `None` when no hero has that name.
    fn set_types(
        &self,
        name: &str,
        types: &HeroTypes,
    ) -> impl Future<Output = StackResult<Option<TypedHero>>> + Send;

    /// A hero by its public id (the crate's `types::by_public_id`).
    fn by_public_id(
        &self,
        public_id: uuid::Uuid,
    ) -> impl Future<Output = StackResult<Option<TypedHero>>> + Send;

    /// The delete idiom; how many rows went.
    fn delete_by_name(&self, name: &str) -> impl Future<Output = StackResult<u64>> + Send;

    /// Where the server's WAL ends now (on a primary, after a commit): the
    /// crate's `replica::wal_position`.
    fn wal_position(&self) -> impl Future<Output = StackResult<String>> + Send;

    /// Waits, at most `deadline`, until this engine's server (a replica) has
    /// replayed the WAL up to `lsn`: the crate's `replica::wait_for_replay`.
    fn wait_for_replay(
        &self,
        lsn: &str,
        deadline: Duration,
    ) -> impl Future<Output = StackResult<()>> + Send;

    /// Checks a connection out of the pool, reports it on `acquired`, and
    /// keeps it until `release` fires (or its sender is dropped).
    fn hold_connection(
        &self,
        acquired: oneshot::Sender<()>,
        release: oneshot::Receiver<()>,
    ) -> impl Future<Output = StackResult<()>> + Send;
}
