//! How every example crate prints its tour, so the four tours have the same
//! shape and can be read side by side: a numbered step, the SQLAlchemy line from
//! the seed it mirrors, the Rust that does it, then what happened.

use heroes_model::{Hero, Team};

use crate::snippet::Snippet;

/// Prints the tour's title: which crate, which seed section, which database.
pub fn title(crate_name: &str, mirrors: &str, database: &str) {
    println!("== {crate_name}: the seed's {mirrors}, in database `{database}` ==");
}

/// One step of a tour as it is printed: a heading, the study's Python line
/// and the Rust that does the same. Each tour declares its steps as
/// constants at the end of its `tour.rs`, off the lesson's reading path.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// The heading.
    pub title: &'static str,
    /// The SQLAlchemy line from the study it mirrors.
    pub python: &'static str,
    /// The anchored lines of the crate's own source that do it.
    pub rust: &'static [Snippet],
}

/// Prints `step` numbered `number` (see [`step`]).
pub fn show(number: u32, step: &Step) {
    self::step(number, step.title, step.python, step.rust);
}

/// Prints a step heading with the seed's Python line and the Rust that does
/// the same: the anchored lines of the crate's own source (see
/// [`crate::snippet`]), so the tour prints only code that compiles and runs.
pub fn step(number: u32, title: &str, python: &str, rust: &[Snippet]) {
    println!("\n[{number}] {title}");
    println!("    python: {python}");
    let mut first = true;
    for (i, snippet) in rust.iter().enumerate() {
        if i > 0 {
            println!();
        }
        for line in snippet.code().lines() {
            let label = if first { "rust:  " } else { "       " };
            first = false;
            println!("    {label} {line}");
        }
    }
}

/// Prints one result line under the current step.
pub fn outcome(text: impl AsRef<str>) {
    println!("    -> {}", text.as_ref());
}

/// Prints what `migrate up` applied, or that there was nothing to apply.
pub fn applied(names: &[String]) {
    if names.is_empty() {
        outcome("already at head: nothing to apply");
    }
    for name in names {
        outcome(format!("applied {name}"));
    }
}

/// Prints what the seed step did: `removed` heroes an earlier tour left, and
/// the seed's teams and `inserted` heroes, committed together.
pub fn seeded(removed: u64, inserted: &[Hero]) {
    if removed > 0 {
        outcome(format!("removed {removed} heroes left by an earlier tour"));
    }
    outcome(format!(
        "inserted {} teams and {} heroes, committed together",
        heroes_model::seed::TEAMS.len(),
        inserted.len()
    ));
}

/// The seed hero named `name` among those the seed step inserted; an error
/// names it when it is missing.
pub fn seed_hero<'a>(inserted: &'a [Hero], name: &str) -> Result<&'a Hero, String> {
    inserted
        .iter()
        .find(|h| h.name == name)
        .ok_or_else(|| format!("the seed has no {name}"))
}

/// Prints one SQL statement the way every crate's `ECHO=1` does.
pub fn sql(statement: impl std::fmt::Display) {
    println!("    SQL> {statement}");
}

/// `echo=True` for the crates built on sqlx (sqlx-raw, and SeaORM, which runs
/// on sqlx): sqlx reports each statement through `tracing` when it completes,
/// target `sqlx::query`; this installs a `tracing` layer that prints those, and
/// only those, with [`sql`]. Bind values are not part of sqlx's report.
#[cfg(feature = "sqlx-echo")]
pub fn echo_sqlx_statements() {
    use tracing_subscriber::layer::SubscriberExt as _;
    let subscriber = tracing_subscriber::registry().with(sqlx_echo_layer());
    // Fails only if a subscriber is already installed; echo is a debugging
    // aid, so carry on without it then.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The `tracing` layer behind [`echo_sqlx_statements`], for a program that
/// installs a subscriber of its own (the servers, which also log requests).
#[cfg(feature = "sqlx-echo")]
pub fn sqlx_echo_layer<S: tracing::Subscriber>() -> impl tracing_subscriber::Layer<S> {
    echo::SqlxQueries
}

#[cfg(feature = "sqlx-echo")]
mod echo {
    use std::fmt::Write as _;

    use tracing::field::{Field, Visit};
    use tracing_subscriber::layer::{Context, Layer};

    /// Prints sqlx's `sqlx::query` events, nothing else.
    pub(super) struct SqlxQueries;

    /// The statement of one event: sqlx sends a one-line `summary` and, for
    /// longer statements, the whole text in `db.statement`.
    #[derive(Default)]
    struct Statement {
        summary: String,
        full: String,
    }

    impl Visit for Statement {
        fn record_str(&mut self, field: &Field, value: &str) {
            match field.name() {
                "summary" => value.clone_into(&mut self.summary),
                "db.statement" => value.trim().clone_into(&mut self.full),
                _ => {}
            }
        }
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "summary" {
                let _ = write!(self.summary, "{value:?}");
            }
        }
    }

    impl<S: tracing::Subscriber> Layer<S> for SqlxQueries {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            if event.metadata().target() != "sqlx::query" {
                return;
            }
            let mut statement = Statement::default();
            event.record(&mut statement);
            if statement.full.is_empty() {
                super::sql(statement.summary);
            } else {
                super::sql(statement.full);
            }
        }
    }
}

/// A hero in one line, e.g. `#3 spongebob (SpongeBob SquarePants, 22) team #1`.
pub fn hero(hero: &Hero) -> String {
    let mut details = Vec::new();
    if let Some(secret) = &hero.secret_name {
        details.push(secret.clone());
    }
    if let Some(age) = hero.age {
        details.push(age.to_string());
    }
    let details = if details.is_empty() {
        String::new()
    } else {
        format!(" ({})", details.join(", "))
    };
    let team = hero
        .team_id
        .map_or_else(String::new, |id| format!(" team #{id}"));
    format!(
        "#{} {}{details}{team} [{}]",
        hero.id, hero.name, hero.app_src
    )
}

/// One line for a hero with its revision 3 columns (the public id is left
/// out: it is random, and the tour's output is compared run to run).
pub fn typed_hero(hero: &heroes_model::TypedHero) -> String {
    let catchphrase = hero
        .profile
        .as_ref()
        .and_then(|p| p.catchphrase.as_deref())
        .map_or_else(String::new, |c| format!(" says {c:?}"));
    let salary = hero
        .salary
        .map_or_else(String::new, |s| format!(" earns {s}"));
    format!(
        "{} ({}) powers {:?}{catchphrase}{salary}",
        hero.name, hero.rank, hero.powers
    )
}

/// A team and its heroes' names, e.g. `Krusty Krab Crew: spongebob, squidward`.
pub fn team_with_heroes((team, heroes): &(Team, Vec<Hero>)) -> String {
    let names: Vec<&str> = heroes.iter().map(|h| h.name.as_str()).collect();
    format!("{}: {}", team.name, names.join(", "))
}

/// A hero with its team's name (or "no team"), for the join step.
pub fn hero_with_team(hero: &Hero, team: Option<&Team>) -> String {
    let team = team.map_or_else(|| "no team".to_owned(), |t| format!("team {}", t.name));
    format!("{} -> {team}", hero.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Hero {
        Hero {
            id: 3,
            name: "spongebob".into(),
            secret_name: Some("SpongeBob SquarePants".into()),
            age: Some(22),
            app_src: "sync-diesel".into(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            team_id: Some(1),
        }
    }

    #[test]
    fn hero_lines_show_what_is_known() {
        assert_eq!(
            hero(&sample()),
            "#3 spongebob (SpongeBob SquarePants, 22) team #1 [sync-diesel]"
        );
        let bare = Hero {
            secret_name: None,
            age: None,
            team_id: None,
            ..sample()
        };
        assert_eq!(hero(&bare), "#3 spongebob [sync-diesel]");
    }

    #[test]
    fn join_lines_name_the_team_or_say_none() {
        let team = Team {
            id: 1,
            name: "Krusty Krab Crew".into(),
            headquarters: None,
        };
        assert_eq!(
            hero_with_team(&sample(), Some(&team)),
            "spongebob -> team Krusty Krab Crew"
        );
        assert_eq!(hero_with_team(&sample(), None), "spongebob -> no team");
    }
}
