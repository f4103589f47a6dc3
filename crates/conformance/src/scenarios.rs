//! The scenarios, written once. Each body is generic over [`Stack`], checks
//! the database through the [`Observer`], and returns either a one-line
//! account of what it saw (for the behaviour table) or what went wrong.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use devdb::TestDatabase;
use heroes_model::{NewHero, NewTeam, seed};
use tokio::sync::oneshot;

use crate::harness::ScratchCluster;
use crate::observer::{Observer, REFERENCE_SCHEMA};
use crate::{Kind, PoolConfig, Stack, StackError};

/// A scenario's verdict: what it observed, or why it failed.
pub type Verdict = Result<String, String>;

/// One question asked of every stack.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    /// Its number in the issue and the table.
    pub number: u8,
    /// The test function's name in `tests/conformance.rs` (same in every stack's module).
    pub test: &'static str,
    /// A short title.
    pub title: &'static str,
    /// What it asks, in a sentence.
    pub asks: &'static str,
}

/// Every scenario, in table order.
pub const SCENARIOS: [Scenario; 14] = [
    Scenario {
        number: 1,
        test: "s1_crud",
        title: "Seed, read, join, update, delete",
        asks: "Insert the seed heroes in one transaction; get by id (found, missing); by name (found, missing); a scalar; scalars by app_src; hero → team join; update; delete. Each result is checked against the rows the observer reads.",
    },
    Scenario {
        number: 2,
        test: "s2_duplicate_batch",
        title: "Batch ending in a duplicate name",
        asks: "A batch of new heroes whose last row repeats a seed name: a typed \"already exists\" error naming it, and none of the batch written. Then the same heroes after a new team in one session (two statements): the team is rolled back too.",
    },
    Scenario {
        number: 3,
        test: "s3_awkward_names",
        title: "Quotes, injection, Unicode, emoji, 10,000 chars, NUL",
        asks: "Names with quotes, `'); DROP TABLE heroes; --`, Unicode, emoji, a LIKE pattern and 10,000 characters are stored and read back verbatim; a batch holding a NUL byte fails with a clear error and writes nothing.",
    },
    Scenario {
        number: 4,
        test: "s4_concurrent_writers",
        title: "32 concurrent writers × 100 heroes",
        asks: "32 tasks share one pool of 8 and each insert 100 heroes, one transaction per hero: exactly 3,200 rows and no error.",
    },
    Scenario {
        number: 5,
        test: "s5_killed_backend",
        title: "Backend killed while pooled",
        asks: "With a pool of one, the server ends the pooled connection (`pg_terminate_backend`): the next operation succeeds, on a new backend.",
    },
    Scenario {
        number: 6,
        test: "s6_pool_exhausted",
        title: "Pool exhausted",
        asks: "Both connections of a pool of 2 are held; a third caller gets a pool-timeout error within its 500 ms bound (no hang), and the pool works again once they are released.",
    },
    Scenario {
        number: 7,
        test: "s7_server_restart",
        title: "Server stopped mid-run, then started",
        asks: "The server stops under a connected pool: the next operation fails with a clear error within the pool's 3 s wait; the server starts again: the same pool serves the next operation without a restart of the program.",
    },
    Scenario {
        number: 8,
        test: "s8_bad_database_url",
        title: "Bad DATABASE_URL, per binary",
        asks: "The crate's command line with a malformed URL, a wrong password and an unreachable host: one line on stderr, exit code 2, no panic text.",
    },
    Scenario {
        number: 9,
        test: "s9_schema_equivalence",
        title: "Schema equivalence, down and up again",
        asks: "Migrated to head, the crate's `heroes`/`teams` (columns, types, nullability, defaults, keys, indexes, sequences, the enum type and its labels) and their `pg_dump --schema-only` equal the reference schema's (the SQL of `migrations/` applied by the observer), so all four are identical; after down to zero (no table and no enum type left) and up again, `pg_dump --schema-only` is byte-identical.",
    },
    Scenario {
        number: 10,
        test: "s10_silent_server",
        title: "A server that accepts and never answers",
        asks: "`DATABASE_URL` names a port where a listener the test opened accepts TCP connections and never speaks: the engine fails within its 2 s connect deadline, and the crate's command line (with `PGCONNECT_TIMEOUT=2`) prints one line and exits 2 within it, instead of hanging.",
    },
    Scenario {
        number: 11,
        test: "s11_statement_timeout",
        title: "A statement over its timeout",
        asks: "With a 300 ms `statement_timeout` and a pool of one, an insert waits behind a table lock the test holds: it is cancelled with an error that says so, nothing of it is written, and the next call succeeds on the same connection.",
    },
    Scenario {
        number: 12,
        test: "s12_killed_mid_transaction",
        title: "Backend killed in the middle of a unit of work",
        asks: "A unit of work of two statements (a team, then heroes in it) has inserted the team and waits on the heroes; the server kills its backend: the unit fails whole (no team, no hero), and the next unit succeeds.",
    },
    Scenario {
        number: 13,
        test: "s13_relations_filters_stream",
        title: "Related rows, filters and a stream: the same rows",
        asks: "With 5 teams (one without heroes) and 20 heroes (some teamless, some of unknown age, names with `%`, `_` and a quote): every loading strategy of the crate's `beyond.rs` (the N+1 loop and each eager one) gives every team with its heroes in id order, as the observer's own SQL does; 9 searches (each filter alone, together, every order, a page, text with wildcards) give the observer's rows in its order; the stream gives every matching hero in id order.",
    },
    Scenario {
        number: 14,
        test: "s14_own_types",
        title: "PostgreSQL's own types: edge values, and an enum label from a newer deploy",
        asks: "The enum, `text[]`, `jsonb`, `uuid` and `numeric(12,2)` columns of revision 3 take every edge value (an empty array, awkward strings, non-ASCII text, a nested document holding 2^53 + 1, `9999999999.99`, `0.10`, a negative cent, NULL profile and salary): the crate reads back what it wrote and the observer finds exactly that stored. Then a newer deploy adds `mythic` to the enum and writes a mythic hero: reading that row is an error naming the value, not a panic, and the same pool goes on serving the other rows.",
    },
];

/// What the scenarios need from outside: how to run a crate's command line.
#[derive(Clone, Debug)]
pub struct Env {
    /// A binary whose `cli <crate> ARGS...` runs that crate's command line
    /// (the `conformance` binary).
    pub cli: PathBuf,
}

/// Runs scenario `number` against stack `S`.
pub async fn run<S: Stack>(number: u8, env: &Env) -> Verdict {
    match number {
        1 => crud::<S>().await,
        2 => duplicate_batch::<S>().await,
        3 => awkward_names::<S>().await,
        4 => concurrent_writers::<S>().await,
        5 => killed_backend::<S>().await,
        6 => pool_exhausted::<S>().await,
        7 => server_restart::<S>().await,
        8 => bad_database_url::<S>(env),
        9 => schema_equivalence::<S>().await,
        10 => silent_server::<S>(env).await,
        11 => statement_timeout::<S>().await,
        12 => killed_mid_transaction::<S>().await,
        13 => relations_filters_stream::<S>().await,
        14 => own_types::<S>().await,
        _ => Err(format!("there is no scenario {number}")),
    }
}

/// Fails the scenario with a formatted message unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// A stack error as a scenario failure, saying which step it was.
fn at(step: &'static str) -> impl Fn(StackError) -> String {
    move |err| format!("{step}: {err}")
}

/// The first line of a message, at most `max` characters.
fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= max {
        line.to_owned()
    } else {
        let cut: String = line.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// A database of its own for this scenario and stack.
fn database<S: Stack>(scenario: &str) -> Result<TestDatabase, String> {
    TestDatabase::create(&format!("conf_{}_{scenario}", S::NAME.replace('-', "_")))
        .map_err(|e| format!("cannot create the test database: {e}"))
}

/// A database, a stack connected to it with `pool` and migrated to head, and
/// the observer.
async fn migrated<S: Stack>(
    scenario: &str,
    pool: PoolConfig,
) -> Result<(TestDatabase, S, Observer), String> {
    let db = database::<S>(scenario)?;
    let stack = S::connect(db.url(), pool).await.map_err(at("connect"))?;
    stack.migrate_up().await.map_err(at("migrate up"))?;
    let observer = Observer::connect(db.url()).await?;
    Ok((db, stack, observer))
}

async fn crud<S: Stack>() -> Verdict {
    let (_db, stack, obs) = migrated::<S>("crud", PoolConfig::default()).await?;
    let app = S::NAME;

    let teams = stack
        .add_teams(&seed::new_teams())
        .await
        .map_err(at("add teams"))?;
    ensure!(
        teams.len() == seed::TEAMS.len(),
        "add_teams returned {} teams",
        teams.len()
    );
    let rows = seed::new_heroes(app, |name| {
        teams.iter().find(|t| t.name == name).map(|t| t.id)
    });
    let heroes = stack.add_all(&rows).await.map_err(at("add_all"))?;
    ensure!(
        heroes.len() == rows.len(),
        "add_all returned {} of {} heroes",
        heroes.len(),
        rows.len()
    );
    let stored = obs.heroes_of(app).await?;
    ensure!(
        stored == rows.len() as i64,
        "{stored} heroes in the database, {} sent",
        rows.len()
    );
    for (sent, saved) in rows.iter().zip(&heroes) {
        ensure!(
            saved.name == sent.name && saved.age == sent.age && saved.team_id == sent.team_id,
            "saved {saved:?} differs from sent {sent:?}"
        );
    }

    let Some(hero) = heroes
        .iter()
        .find(|h| h.age.is_some() && h.team_id.is_some())
    else {
        return Err("the seed has no hero with an age and a team".to_owned());
    };
    let missing_id = heroes.iter().map(|h| h.id).max().unwrap_or(0) + 1_000;
    ensure!(
        stack.get(hero.id).await.map_err(at("get"))?.as_ref() == Some(hero),
        "get({}) did not return the saved hero",
        hero.id
    );
    ensure!(
        stack
            .get(missing_id)
            .await
            .map_err(at("get missing"))?
            .is_none(),
        "get({missing_id}) found a hero"
    );
    ensure!(
        stack
            .by_name(&hero.name)
            .await
            .map_err(at("by name"))?
            .as_ref()
            == Some(hero),
        "by_name({:?}) did not return the saved hero",
        hero.name
    );
    ensure!(
        stack
            .by_name("nobody by this name")
            .await
            .map_err(at("by name missing"))?
            .is_none(),
        "by_name found a hero that does not exist"
    );
    ensure!(
        stack
            .secret_name_of(&hero.name)
            .await
            .map_err(at("scalar"))?
            == Some(hero.secret_name.clone()),
        "scalar secret name of {:?} is wrong",
        hero.name
    );
    ensure!(
        stack
            .secret_name_of("nobody by this name")
            .await
            .map_err(at("scalar missing"))?
            .is_none(),
        "scalar found a row for a missing hero"
    );

    let listed: Vec<String> = stack
        .by_app_src(app)
        .await
        .map_err(at("scalars by app_src"))?
        .into_iter()
        .map(|h| h.name)
        .collect();
    let expected = obs
        .texts(
            "SELECT name FROM heroes WHERE app_src = $1 ORDER BY id",
            &[&app],
        )
        .await?;
    ensure!(
        listed == expected,
        "scalars().all() gave {listed:?}, the table holds {expected:?}"
    );

    let joined = stack.with_teams(app).await.map_err(at("join"))?;
    ensure!(
        joined.len() == heroes.len(),
        "the join returned {} rows",
        joined.len()
    );
    for (h, team) in &joined {
        ensure!(
            team.as_ref().map(|t| t.id) == h.team_id,
            "{} joined to {team:?} but its team_id is {:?}",
            h.name,
            h.team_id
        );
    }
    let with_team = joined.iter().filter(|(_, t)| t.is_some()).count() as i64;
    let expected_with_team = obs
        .scalar(
            "SELECT count(*) FROM heroes h JOIN teams t ON t.id = h.team_id WHERE h.app_src = $1",
            &[&app],
        )
        .await?;
    ensure!(
        with_team == expected_with_team,
        "{with_team} heroes with a team, the database says {expected_with_team}"
    );

    let updated = stack.birthday(&hero.name).await.map_err(at("update"))?;
    let new_age = hero.age.map(|a| a + 1);
    ensure!(
        updated.as_ref().and_then(|h| h.age) == new_age,
        "update returned {updated:?}"
    );
    let stored_age = obs
        .scalar("SELECT age::bigint FROM heroes WHERE id = $1", &[&hero.id])
        .await?;
    ensure!(
        Some(stored_age) == new_age.map(i64::from),
        "the database holds age {stored_age} after the update"
    );

    let deleted = stack
        .delete_by_name(&hero.name)
        .await
        .map_err(at("delete"))?;
    ensure!(deleted == 1, "delete removed {deleted} rows");
    let left = obs.heroes_of(app).await?;
    ensure!(
        left == rows.len() as i64 - 1,
        "{left} heroes left after one delete"
    );
    ensure!(
        stack
            .get(hero.id)
            .await
            .map_err(at("get deleted"))?
            .is_none(),
        "the deleted hero is still found"
    );

    Ok(format!(
        "{} heroes + {} teams in one transaction; get/by-name/scalar (found and missing), scalars, join ({with_team} with a team), update and delete all match the table",
        rows.len(),
        teams.len()
    ))
}

async fn duplicate_batch<S: Stack>() -> Verdict {
    let (_db, stack, obs) = migrated::<S>("dup", PoolConfig::default()).await?;
    let app = S::NAME;
    let seeded = stack
        .add_all(&seed::new_heroes(app, |_| None))
        .await
        .map_err(at("add seed"))?;
    let taken = seeded[0].name.clone();
    let batch: Vec<NewHero> = ["new hero 1", "new hero 2", "new hero 3", taken.as_str()]
        .into_iter()
        .map(|name| NewHero::named(name, format!("{app}-batch")))
        .collect();

    let err = match stack.add_all(&batch).await {
        Ok(saved) => return Err(format!("the batch was accepted ({} rows)", saved.len())),
        Err(err) => err,
    };
    ensure!(
        err.kind == Kind::AlreadyExists,
        "expected an already-exists error, got {err}"
    );
    ensure!(
        err.message.contains(&taken),
        "the error does not name {taken:?}: {}",
        err.message
    );
    let written = obs.heroes_of(&format!("{app}-batch")).await?;
    ensure!(
        written == 0,
        "{written} rows of the failed batch were written"
    );
    let total = obs.hero_count().await?;
    ensure!(
        total == seeded.len() as i64,
        "{total} heroes in the table, expected the {} seeded",
        seeded.len()
    );
    ensure!(
        stack
            .by_name(&taken)
            .await
            .map_err(at("read after"))?
            .is_some(),
        "the pool no longer answers after the failed batch"
    );

    // The same, as a unit of work of two statements: a new team, then heroes
    // of that team ending in the duplicate. The session must undo the team too.
    let team = heroes_model::NewTeam {
        name: "Bikini Bottom Irregulars".to_owned(),
        headquarters: None,
    };
    let Err(err) = stack.add_team_with_heroes(&team, &batch).await else {
        return Err("the team + heroes unit of work was accepted".to_owned());
    };
    ensure!(
        err.kind == Kind::AlreadyExists,
        "team + heroes: expected an already-exists error, got {err}"
    );
    let teams = obs
        .scalar("SELECT count(*) FROM teams WHERE name = $1", &[&team.name])
        .await?;
    let written = obs.heroes_of(&format!("{app}-batch")).await?;
    ensure!(
        teams == 0 && written == 0,
        "the failed unit of work left {teams} team(s) and {written} hero(es) behind"
    );
    Ok(format!(
        "{}; 0 of {} rows written, and a team inserted before them in the same session rolled back too",
        first_line(&err.message, 90),
        batch.len()
    ))
}

async fn awkward_names<S: Stack>() -> Verdict {
    let (_db, stack, obs) = migrated::<S>("names", PoolConfig::default()).await?;
    let app = S::NAME;
    let names = [
        "O'Brien \"the quote\" `tick`".to_owned(),
        "'); DROP TABLE heroes; --".to_owned(),
        "Ñandú ü ß 日本語 עברית".to_owned(),
        "🦀🐘 emoji 👩‍👩‍👧".to_owned(),
        "100% _like_ \\ backslash".to_owned(),
        "x".repeat(10_000),
    ];
    let rows: Vec<NewHero> = names
        .iter()
        .map(|n| NewHero::named(n.clone(), app))
        .collect();
    let saved = stack.add_all(&rows).await.map_err(at("add_all"))?;
    ensure!(
        saved.len() == names.len(),
        "{} of {} saved",
        saved.len(),
        names.len()
    );
    for name in &names {
        let found = stack.by_name(name).await.map_err(at("by name"))?;
        ensure!(
            found.as_ref().map(|h| &h.name) == Some(name),
            "by_name({}) came back as {:?}",
            first_line(name, 40),
            found.map(|h| first_line(&h.name, 40))
        );
    }
    let stored = obs
        .texts(
            "SELECT name FROM heroes WHERE app_src = $1 ORDER BY id",
            &[&app],
        )
        .await?;
    ensure!(
        stored == names,
        "the table holds different names than were sent"
    );
    ensure!(obs.table_count().await? == 2, "a table is gone");

    let nul_app = format!("{app}-nul");
    let batch = [
        NewHero::named("fine name", nul_app.as_str()),
        NewHero::named("nul\0byte", nul_app.as_str()),
    ];
    let Err(err) = stack.add_all(&batch).await else {
        return Err("a name with a NUL byte was accepted".to_owned());
    };
    let written = obs.heroes_of(&nul_app).await?;
    ensure!(written == 0, "{written} rows of the NUL batch were written");
    ensure!(
        stack
            .by_name(&names[0])
            .await
            .map_err(at("read after"))?
            .is_some(),
        "the pool no longer answers after the NUL error"
    );
    Ok(format!(
        "{} names stored and read back verbatim; NUL: {}, 0 rows written",
        names.len(),
        first_line(&err.message, 90)
    ))
}

/// Writers and heroes each in scenario 4.
const WRITERS: usize = 32;
const HEROES_PER_WRITER: usize = 100;

async fn concurrent_writers<S: Stack>() -> Verdict {
    let pool = PoolConfig {
        max_size: 8,
        acquire_timeout: Duration::from_secs(30),
        ..Default::default()
    };
    let (_db, stack, obs) = migrated::<S>("conc", pool).await?;
    let began = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let stack = stack.clone();
        tasks.spawn(async move {
            let mut errors = Vec::new();
            for n in 0..HEROES_PER_WRITER {
                let row = NewHero::named(format!("writer {writer:02} hero {n:03}"), S::NAME);
                if let Err(err) = stack.add_all(std::slice::from_ref(&row)).await {
                    errors.push(err);
                }
            }
            errors
        });
    }
    let mut errors = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        errors.extend(joined.map_err(|e| format!("a writer task failed: {e}"))?);
    }
    let elapsed = began.elapsed();
    ensure!(
        errors.is_empty(),
        "{} writes failed; the first: {}",
        errors.len(),
        errors[0]
    );
    let expected = (WRITERS * HEROES_PER_WRITER) as i64;
    let rows = obs.heroes_of(S::NAME).await?;
    let distinct = obs
        .scalar(
            "SELECT count(DISTINCT name) FROM heroes WHERE app_src = $1",
            &[&S::NAME],
        )
        .await?;
    ensure!(
        rows == expected && distinct == expected,
        "{rows} rows ({distinct} distinct names), expected {expected}"
    );
    Ok(format!(
        "{expected} rows, {distinct} distinct, 0 errors ({} ms through a pool of 8)",
        elapsed.as_millis()
    ))
}

async fn killed_backend<S: Stack>() -> Verdict {
    let pool = PoolConfig {
        max_size: 1,
        acquire_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let (_db, stack, obs) = migrated::<S>("kill", pool).await?;
    let saved = stack
        .add_all(&[NewHero::named("survivor", S::NAME)])
        .await
        .map_err(at("add"))?;
    let id = saved[0].id;
    stack.get(id).await.map_err(at("get before"))?;
    let before = obs.backends_settled(1).await?;
    ensure!(
        before.len() == 1,
        "expected the pool's one connection, the server lists {before:?}"
    );
    obs.terminate(before[0]).await?;
    ensure!(
        obs.backends().await?.is_empty(),
        "backend {} survived pg_terminate_backend",
        before[0]
    );

    let after = stack.get(id).await;
    let after = after.map_err(|err| format!("the first call after the kill failed: {err}"))?;
    ensure!(
        after.is_some_and(|h| h.name == "survivor"),
        "the hero was not found after the kill"
    );
    let now = obs.backends().await?;
    ensure!(
        now.len() == 1 && now[0] != before[0],
        "backends after the kill: {now:?} (before {before:?})"
    );
    Ok(format!(
        "next call succeeded on a new backend (pid {} → {})",
        before[0], now[0]
    ))
}

async fn pool_exhausted<S: Stack>() -> Verdict {
    let bound = Duration::from_millis(500);
    let pool = PoolConfig {
        max_size: 2,
        acquire_timeout: bound,
        ..Default::default()
    };
    let (_db, stack, _obs) = migrated::<S>("exhaust", pool).await?;
    let mut releases = Vec::new();
    let mut holders = Vec::new();
    for _ in 0..2 {
        let (acquired_tx, acquired_rx) = oneshot::channel();
        let (release_tx, release_rx) = oneshot::channel();
        let stack = stack.clone();
        holders.push(tokio::spawn(async move {
            stack.hold_connection(acquired_tx, release_rx).await
        }));
        match tokio::time::timeout(Duration::from_secs(10), acquired_rx).await {
            Ok(Ok(())) => {}
            _ => return Err("a holder could not check out a connection".to_owned()),
        }
        releases.push(release_tx);
    }

    let began = Instant::now();
    let waited = tokio::time::timeout(Duration::from_secs(30), stack.get(1)).await;
    let elapsed = began.elapsed();
    let result = waited.map_err(|_| "the third caller hung for 30 s".to_owned())?;
    let Err(err) = result else {
        return Err("the third caller got a connection from a full pool".to_owned());
    };
    ensure!(
        err.kind == Kind::PoolTimeout,
        "expected a pool timeout, got {err}"
    );
    ensure!(
        elapsed >= bound.mul_f32(0.9) && elapsed <= bound + Duration::from_secs(2),
        "timed out after {} ms, the bound is {} ms",
        elapsed.as_millis(),
        bound.as_millis()
    );

    drop(releases);
    for holder in holders {
        holder
            .await
            .map_err(|e| format!("a holder failed: {e}"))?
            .map_err(at("hold"))?;
    }
    stack.get(1).await.map_err(at("get after release"))?;
    Ok(format!(
        "timed out after {} ms (bound {} ms): {}",
        elapsed.as_millis(),
        bound.as_millis(),
        first_line(&err.message, 90)
    ))
}

async fn server_restart<S: Stack>() -> Verdict {
    let cluster = ScratchCluster::start().await?;
    let url = cluster.database_url("restart").await?;
    let wait = Duration::from_secs(3);
    let stack = S::connect(
        &url,
        PoolConfig {
            max_size: 2,
            acquire_timeout: wait,
            ..Default::default()
        },
    )
    .await
    .map_err(at("connect"))?;
    stack.migrate_up().await.map_err(at("migrate up"))?;
    let saved = stack
        .add_all(&[NewHero::named("steady", S::NAME)])
        .await
        .map_err(at("add"))?;
    let id = saved[0].id;

    cluster.stop().await?;
    let began = Instant::now();
    let down = tokio::time::timeout(Duration::from_secs(60), stack.get(id))
        .await
        .map_err(|_| "a call with the server down hung for 60 s".to_owned())?;
    let elapsed = began.elapsed();
    let Err(err) = down else {
        return Err("a call succeeded with the server stopped".to_owned());
    };
    ensure!(
        elapsed <= wait + Duration::from_secs(10),
        "the failure took {} ms (pool wait {} ms)",
        elapsed.as_millis(),
        wait.as_millis()
    );
    ensure!(
        err.exit_code == 1,
        "exit code {} for a server that went away",
        err.exit_code
    );

    cluster.start_again().await?;
    let back = stack
        .get(id)
        .await
        .map_err(|err| format!("the first call after the restart failed: {err}"))?;
    ensure!(
        back.is_some_and(|h| h.name == "steady"),
        "the hero is missing after the restart"
    );
    Ok(format!(
        "down: [{}] after {} ms: {}; restarted: next call succeeded on the same pool",
        err.kind,
        elapsed.as_millis(),
        first_line(&err.message, 110)
    ))
}

async fn silent_server<S: Stack>(env: &Env) -> Verdict {
    // Never accepted: the kernel still completes each TCP handshake (up to
    // the backlog), so a client connects and then waits for a login reply.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot open a listener: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("no listener address: {e}"))?
        .port();
    let url = format!("postgres://admin:changethis@127.0.0.1:{port}/silent");
    let deadline = Duration::from_secs(2);
    let slack = Duration::from_secs(3);
    let pool = PoolConfig {
        max_size: 2,
        acquire_timeout: Duration::from_secs(5),
        deadlines: support::deadlines::Deadlines {
            connect: deadline,
            statement: None,
        },
        ..PoolConfig::default()
    };
    let began = Instant::now();
    let connected = tokio::time::timeout(Duration::from_secs(60), S::connect(&url, pool))
        .await
        .map_err(|_| "the engine waited 60 s on a silent server".to_owned())?;
    let engine_took = began.elapsed();
    let Err(err) = connected else {
        return Err("the engine connected to a listener that never spoke".to_owned());
    };
    ensure!(
        engine_took <= deadline + slack,
        "the engine failed after {} ms (deadline {} ms): {err}",
        engine_took.as_millis(),
        deadline.as_millis()
    );

    let began = Instant::now();
    let mut child = Command::new(&env.cli)
        .args(["cli", S::NAME])
        .env("DATABASE_URL", &url)
        .env("PGCONNECT_TIMEOUT", "2")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run the command line: {e}"))?;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if began.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            return Err("the command line waited 60 s on a silent server".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let binary_took = began.elapsed();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        std::io::Read::read_to_string(&mut pipe, &mut stderr).map_err(|e| e.to_string())?;
    }
    ensure!(
        status.code() == Some(2) && stderr.lines().count() == 1 && !stderr.contains("panicked"),
        "the command line ended with {status} and stderr {stderr:?}"
    );
    ensure!(
        binary_took <= deadline + slack,
        "the command line took {} ms (deadline {} ms)",
        binary_took.as_millis(),
        deadline.as_millis()
    );
    drop(listener);
    Ok(format!(
        "engine: [{}] after {} ms: {}; binary: exit 2 after {} ms: `{}`",
        err.kind,
        engine_took.as_millis(),
        first_line(&err.message, 90),
        binary_took.as_millis(),
        first_line(stderr.trim(), 90)
    ))
}

/// Holds `LOCK TABLE heroes IN EXCLUSIVE MODE` (reads pass, writes wait) on
/// a connection of its own until dropped or released.
struct HeroesLock(Observer);

impl HeroesLock {
    async fn take(url: &str) -> Result<Self, String> {
        let locker = Observer::connect(url).await?;
        locker
            .batch("BEGIN; LOCK TABLE heroes IN EXCLUSIVE MODE")
            .await?;
        Ok(Self(locker))
    }

    async fn release(self) -> Result<(), String> {
        self.0.batch("ROLLBACK").await
    }
}

async fn statement_timeout<S: Stack>() -> Verdict {
    let limit = Duration::from_millis(300);
    let pool = PoolConfig {
        max_size: 1,
        acquire_timeout: Duration::from_secs(5),
        deadlines: support::deadlines::Deadlines {
            statement: Some(limit),
            ..Default::default()
        },
        ..PoolConfig::default()
    };
    let (db, stack, obs) = migrated::<S>("stmt_timeout", pool).await?;
    let saved = stack
        .add_all(&[NewHero::named("on time", S::NAME)])
        .await
        .map_err(at("add"))?;
    // The pool's one connection (the migration's may still be closing).
    let before = obs.backends_settled(1).await?;

    let lock = HeroesLock::take(db.url()).await?;
    let began = Instant::now();
    let blocked = tokio::time::timeout(
        Duration::from_secs(30),
        stack.add_all(&[NewHero::named("too late", S::NAME)]),
    )
    .await;
    let took = began.elapsed();
    lock.release().await?;
    let blocked = blocked.map_err(|_| "the insert waited 30 s despite the timeout".to_owned())?;
    let Err(err) = blocked else {
        return Err("the insert succeeded behind the lock".to_owned());
    };
    ensure!(
        err.message.contains("statement timeout"),
        "the error does not say it was the statement timeout: {err}"
    );
    ensure!(
        took < limit + Duration::from_secs(3),
        "cancelled after {} ms (timeout {} ms)",
        took.as_millis(),
        limit.as_millis()
    );
    let written = obs.heroes_of(S::NAME).await?;
    ensure!(
        written == 1,
        "{written} heroes after the cancelled insert, expected 1"
    );
    let again = stack.get(saved[0].id).await.map_err(at("get after"))?;
    ensure!(again.is_some(), "the hero saved before is missing");
    // The lock's own connection may still be closing (seen under a full
    // parallel test run): settled, one backend must be left, the same one.
    let after = obs.backends_settled(1).await?;
    ensure!(
        after == before,
        "the connection was replaced: backends {before:?} before, {after:?} after"
    );
    Ok(format!(
        "cancelled after {} ms: {}; nothing written; next call on the same connection (pid {:?})",
        took.as_millis(),
        first_line(&err.message, 90),
        after
    ))
}

async fn killed_mid_transaction<S: Stack>() -> Verdict {
    let pool = PoolConfig {
        max_size: 1,
        acquire_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let (db, stack, obs) = migrated::<S>("kill_midtx", pool).await?;
    let lock = HeroesLock::take(db.url()).await?;
    let doomed = NewTeam {
        name: format!("{} doomed", S::NAME),
        headquarters: None,
    };
    let unit = tokio::spawn({
        let stack = stack.clone();
        let heroes = [NewHero::named("doomed", S::NAME)];
        async move { stack.add_team_with_heroes(&doomed, &heroes).await }
    });
    // Its team is in (uncommitted); its heroes wait on the lock.
    let mut waiting = Vec::new();
    for _ in 0..200 {
        waiting = obs
            .texts(
                "SELECT pid::text FROM pg_stat_activity \
                  WHERE datname = current_database() AND pid <> pg_backend_pid() \
                    AND wait_event_type = 'Lock'",
                &[],
            )
            .await?;
        if !waiting.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let Some(pid) = waiting.first().and_then(|p| p.parse::<i32>().ok()) else {
        lock.release().await?;
        return Err("the unit of work never waited on the lock".to_owned());
    };
    obs.terminate(pid).await?;
    lock.release().await?;
    let outcome = tokio::time::timeout(Duration::from_secs(30), unit)
        .await
        .map_err(|_| "the unit of work hung after its backend was killed".to_owned())?
        .map_err(|e| format!("the unit of work panicked: {e}"))?;
    let Err(err) = outcome else {
        return Err("the unit of work succeeded although its backend was killed".to_owned());
    };
    let teams = obs
        .scalar(
            "SELECT count(*) FROM teams WHERE name = $1",
            &[&format!("{} doomed", S::NAME)],
        )
        .await?;
    let heroes = obs.heroes_of(S::NAME).await?;
    ensure!(
        teams == 0 && heroes == 0,
        "half a unit survived: {teams} team(s), {heroes} hero(es)"
    );
    let next = NewTeam {
        name: format!("{} steady", S::NAME),
        headquarters: None,
    };
    let (_, saved) = stack
        .add_team_with_heroes(&next, &[NewHero::named("steady", S::NAME)])
        .await
        .map_err(|e| format!("the next unit of work failed: {e}"))?;
    ensure!(
        saved.len() == 1,
        "the next unit saved {} heroes",
        saved.len()
    );
    Ok(format!(
        "the unit failed whole: [{}] {}; no team, no hero; the next unit succeeded",
        err.kind,
        first_line(&err.message, 90)
    ))
}

fn bad_database_url<S: Stack>(env: &Env) -> Verdict {
    let command = || {
        let mut cmd = Command::new(&env.cli);
        cmd.args(["cli", S::NAME]);
        cmd
    };
    let lines = devdb::testing::check_fails_cleanly(command, &devdb::testing::BAD_DATABASE_URLS)?;
    Ok(format!(
        "{} cases, each one line and exit 2, e.g. `{}`",
        lines.len(),
        first_line(&lines[1], 100)
    ))
}

/// `pg_dump --schema-only` of `heroes` and `teams` in the database at `url`.
async fn schema_dump(url: &str) -> Result<String, String> {
    let settings = devdb::Settings::from_env().map_err(|e| e.to_string())?;
    let bindir = devdb::cluster::find_bindir(settings.bindir())?;
    let url = url.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bindir.join("pg_dump"))
            .args([
                "--schema-only",
                "--no-owner",
                "-t",
                "heroes",
                "-t",
                "teams",
                "--dbname",
                &url,
            ])
            .output()
    })
    .await
    .map_err(|e| format!("pg_dump task failed: {e}"))?
    .map_err(|e| format!("cannot run pg_dump: {e}"))?;
    ensure!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump =
        String::from_utf8(out.stdout).map_err(|e| format!("pg_dump printed non-UTF-8: {e}"))?;
    // pg_dump 15.14+ (CVE-2025-8714) wraps its output in `\restrict KEY` /
    // `\unrestrict KEY` with a random KEY per run: the only lines that may differ.
    Ok(dump
        .lines()
        .filter(|line| !line.starts_with("\\restrict ") && !line.starts_with("\\unrestrict "))
        .map(|line| format!("{line}\n"))
        .collect())
}

/// The lines of `a` and `b` that differ, for a failure message.
fn difference(a: &[String], b: &[String]) -> String {
    let a_set: BTreeSet<&String> = a.iter().collect();
    let b_set: BTreeSet<&String> = b.iter().collect();
    let only_a: Vec<&&String> = a_set.difference(&b_set).collect();
    let only_b: Vec<&&String> = b_set.difference(&a_set).collect();
    format!("only in the stack's schema: {only_a:?}; only in the reference: {only_b:?}")
}

async fn schema_equivalence<S: Stack>() -> Verdict {
    let reference_db = database::<S>("ref")?;
    let reference = Observer::connect(reference_db.url()).await?;
    for sql in REFERENCE_SCHEMA {
        reference.batch(sql).await?;
    }
    let expected = reference.catalog().await?;
    let reference_dump = schema_dump(reference_db.url()).await?;

    let (db, stack, obs) = migrated::<S>("schema", PoolConfig::default()).await?;
    let got = obs.catalog().await?;
    ensure!(
        got == expected,
        "the migrated schema differs: {}",
        difference(&got, &expected)
    );

    let before = schema_dump(db.url()).await?;
    ensure!(
        before == reference_dump,
        "pg_dump differs from the reference's:\n--- stack\n{before}\n--- reference\n{reference_dump}"
    );
    let reverted = stack.migrate_down_all().await.map_err(at("migrate down"))?;
    let tables = obs.table_count().await?;
    ensure!(
        tables == 0,
        "{tables} of heroes/teams remain after reverting {reverted:?}"
    );
    let enums = obs
        .texts(
            "SELECT typname::text FROM pg_type \
              WHERE typtype = 'e' AND typnamespace = current_schema()::regnamespace",
            &[],
        )
        .await?;
    ensure!(
        enums.is_empty(),
        "the enum types {enums:?} remain after reverting {reverted:?}"
    );
    stack.migrate_up().await.map_err(at("migrate up again"))?;
    let after = schema_dump(db.url()).await?;
    ensure!(
        before == after,
        "pg_dump differs after down and up:\n--- before\n{before}\n--- after\n{after}"
    );
    let again = obs.catalog().await?;
    ensure!(
        again == expected,
        "after down and up: {}",
        difference(&again, &expected)
    );
    Ok(format!(
        "{} catalog lines and the pg_dump ({} bytes) equal the reference's; after down {} and up: pg_dump byte-identical (less its random `\\restrict` key)",
        expected.len(),
        after.len(),
        reverted.len()
    ))
}

/// Scenario 13: the crate's relation loaders, dynamic filters and stream
/// against the observer's SQL.
async fn relations_filters_stream<S: Stack>() -> Verdict {
    use heroes_model::{HeroSearch, Order, SortKey};

    let (_db, stack, obs) = migrated::<S>("beyond", PoolConfig::default()).await?;
    let app = S::NAME;
    let new_teams: Vec<NewTeam> = (0..5)
        .map(|t| NewTeam {
            name: format!("team {t}"),
            headquarters: None,
        })
        .collect();
    let teams = stack.add_teams(&new_teams).await.map_err(at("add teams"))?;
    let names = ["50% off", "under_score", "O'Hara", "plain", "Percy"];
    let rows: Vec<NewHero> = (0..20usize)
        .map(|i| NewHero {
            name: format!("{} {i:02}", names[i % names.len()]),
            secret_name: None,
            age: (i % 7 != 0).then(|| i32::try_from(10 + (i * 13) % 50).unwrap_or_default()),
            app_src: app.to_owned(),
            // Team 4 gets nobody; every sixth hero has no team.
            team_id: (i % 6 != 5).then(|| teams[i % 4].id),
        })
        .collect();
    stack.add_all(&rows).await.map_err(at("add_all"))?;

    let want = obs
        .texts(
            "SELECT format('%s:%s', t.id, coalesce(string_agg(h.id::text, ',' ORDER BY h.id), ''))
               FROM teams t LEFT JOIN heroes h ON h.team_id = t.id
              GROUP BY t.id ORDER BY t.id",
            &[],
        )
        .await?;
    let strategies = stack.teams_with_heroes().await.map_err(at("load teams"))?;
    let strategy_names: Vec<&str> = strategies.iter().map(|(name, _)| *name).collect();
    for (strategy, loaded) in strategies {
        let got: Vec<String> = loaded
            .iter()
            .map(|(team, heroes)| {
                let ids: Vec<String> = heroes.iter().map(|h| h.id.to_string()).collect();
                format!("{}:{}", team.id, ids.join(","))
            })
            .collect();
        ensure!(
            got == want,
            "{strategy}: teams:heroes {got:?}, the observer's {want:?}"
        );
        ensure!(
            loaded.iter().flat_map(|(_, h)| h).all(|h| h.app_src == app),
            "{strategy}: a hero came back with the wrong columns"
        );
    }

    let search = |edit: &dyn Fn(&mut HeroSearch)| {
        let mut search = HeroSearch {
            app_src: Some(app.to_owned()),
            ..HeroSearch::default()
        };
        edit(&mut search);
        search
    };
    let order = |by, descending| Order { by, descending };
    // Each search beside the observer's WHERE ... ORDER BY for it ($1: team 1).
    let cases: Vec<(HeroSearch, &str)> = vec![
        (
            search(&|s| s.name_contains = Some("PER".into())),
            "name ILIKE '%per%' ORDER BY id",
        ),
        (
            search(&|s| s.name_contains = Some("%".into())),
            "strpos(name, '%') > 0 ORDER BY id",
        ),
        (
            search(&|s| s.name_contains = Some("_".into())),
            "strpos(name, '_') > 0 ORDER BY id",
        ),
        (
            search(&|s| s.name_contains = Some("'".into())),
            "strpos(name, '''') > 0 ORDER BY id",
        ),
        (
            search(&|s| {
                s.min_age = Some(20);
                s.max_age = Some(40);
            }),
            "age BETWEEN 20 AND 40 ORDER BY id",
        ),
        (
            search(&|s| {
                s.team_id = Some(teams[1].id);
                s.order = order(SortKey::Age, true);
            }),
            "team_id = $1 ORDER BY age DESC, id",
        ),
        (
            search(&|s| s.order = order(SortKey::Name, false)),
            "$1 > 0 ORDER BY name, id",
        ),
        (
            search(&|s| s.order = order(SortKey::Age, false)),
            "$1 > 0 ORDER BY age, id",
        ),
        (
            search(&|s| {
                s.order = order(SortKey::Id, true);
                s.limit = Some(5);
                s.offset = 3;
            }),
            "$1 > 0 ORDER BY id DESC LIMIT 5 OFFSET 3",
        ),
    ];
    let team = teams[1].id;
    for (search, sql) in &cases {
        // Every query takes both parameters, whether it uses $1 or not; the
        // alias keeps ORDER BY id on the number, not on the text.
        let sql = format!(
            "SELECT id::text AS hero FROM heroes WHERE app_src = $2 AND $1::int8 IS NOT NULL AND {sql}"
        );
        let want = obs.texts(&sql, &[&team, &app]).await?;
        let got: Vec<String> = stack
            .search(search)
            .await
            .map_err(at("search"))?
            .iter()
            .map(|h| h.id.to_string())
            .collect();
        ensure!(
            got == want,
            "search {search:?}: ids {got:?}, the observer's {want:?}"
        );
        // The stream takes the same filters, in id order and unpaged.
        if search.limit.is_none() {
            let mut want = want;
            want.sort_by_key(|id| id.parse::<i64>().unwrap_or_default());
            let got: Vec<String> = stack
                .stream(search)
                .await
                .map_err(at("stream"))?
                .iter()
                .map(|h| h.id.to_string())
                .collect();
            ensure!(
                got == want,
                "stream {search:?}: ids {got:?}, the observer's {want:?}"
            );
        }
    }
    Ok(format!(
        "teams with heroes the same by {}; {} searches and the stream as the observer's SQL",
        strategy_names.join(", "),
        cases.len()
    ))
}

/// Scenario 14: PostgreSQL's own types round-trip every edge value, as the
/// observer reads them back, and a label this build does not know fails only
/// the read of its row.
async fn own_types<S: Stack>() -> Verdict {
    let (_db, stack, obs) = migrated::<S>("types", PoolConfig::default()).await?;
    let heroes = [
        NewHero::named("edge", S::NAME),
        NewHero::named("plain", S::NAME),
    ];
    let added = stack.add_all(&heroes).await.map_err(at("add heroes"))?;
    let values = heroes_model::types::edge_values();
    for (i, written) in values.iter().enumerate() {
        let stored = stack
            .set_types("edge", written)
            .await
            .map_err(at("set types"))?
            .ok_or_else(|| format!("value {i}: set_types found no hero"))?;
        ensure!(
            (stored.rank, &stored.powers, &stored.profile, stored.salary)
                == (
                    written.rank,
                    &written.powers,
                    &written.profile,
                    written.salary
                ),
            "value {i}: written {written:?}, the update returned {stored:?}"
        );
        let read = stack
            .by_public_id(stored.public_id)
            .await
            .map_err(at("by public id"))?;
        ensure!(
            read.as_ref() == Some(&stored),
            "value {i}: read back {read:?}, stored {stored:?}"
        );
        // The witness compares what the server holds with the same values,
        // sent as text: the label, the array, the document, the decimal with its scale.
        let profile = written
            .profile
            .as_ref()
            .map(|p| serde_json::to_string(p).map_err(|e| e.to_string()))
            .transpose()?;
        let salary = written.salary.map(|s| s.to_string());
        let rank = written.rank.as_str();
        let differs = obs
            .texts(
                "SELECT format('%s %s %s %s', rank, powers, profile, salary) FROM heroes \
                  WHERE name = 'edge' AND NOT (rank::text = $1 AND powers = $2::text[] \
                    AND profile IS NOT DISTINCT FROM $3::text::jsonb \
                    AND salary::text IS NOT DISTINCT FROM $4::text)",
                &[&rank, &written.powers, &profile, &salary],
            )
            .await?;
        ensure!(
            differs.is_empty(),
            "value {i}: the server holds {differs:?}, not {written:?}"
        );
    }

    // A newer deploy adds a label and writes it, while this build runs.
    obs.batch("ALTER TYPE hero_rank ADD VALUE 'mythic'").await?;
    obs.batch("UPDATE heroes SET rank = 'mythic' WHERE name = 'edge'")
        .await?;
    let edge = obs
        .texts(
            "SELECT public_id::text FROM heroes WHERE name = 'edge'",
            &[],
        )
        .await?;
    let edge: uuid::Uuid = edge
        .first()
        .ok_or("the observer found no hero 'edge'")?
        .parse()
        .map_err(|e| format!("public_id: {e}"))?;
    let err = match stack.by_public_id(edge).await {
        Ok(row) => return Err(format!("a mythic row was read as {row:?}")),
        Err(err) => err,
    };
    ensure!(
        err.message.contains("mythic"),
        "the error does not name the unknown value: {err}"
    );
    let plain = stack.get(added[1].id).await.map_err(at("get after"))?;
    ensure!(
        plain.is_some_and(|h| h.name == "plain"),
        "the other hero is not served after the mythic read"
    );
    Ok(format!(
        "{} edge values round-trip and are stored as written; the mythic row: \"{}\", and the pool serves the next call",
        values.len(),
        first_line(&err.message, 120)
    ))
}
