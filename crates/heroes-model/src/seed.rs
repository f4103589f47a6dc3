//! The seed's heroes ("spongebob", "sandy", ...) grown into a small cast with
//! two teams, so the tours can show a join. Defined as data, once: every tour,
//! test and benchmark inserts exactly this.

use rust_decimal::Decimal;

use crate::{HeroRank, HeroTypes, NewHero, NewTeam, Profile};

/// One seed team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedTeam {
    /// The team's unique name.
    pub name: &'static str,
    /// Where it meets.
    pub headquarters: Option<&'static str>,
}

/// One seed hero; `team` names a [`SeedTeam`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedHero {
    /// The hero's unique name.
    pub name: &'static str,
    /// The civilian name.
    pub secret_name: Option<&'static str>,
    /// Age in years.
    pub age: Option<i32>,
    /// The team's name, if the hero has one.
    pub team: Option<&'static str>,
}

/// The seed teams.
pub const TEAMS: [SeedTeam; 2] = [
    SeedTeam {
        name: "Krusty Krab Crew",
        headquarters: Some("The Krusty Krab, Bikini Bottom"),
    },
    SeedTeam {
        name: "Treedome Science",
        headquarters: Some("Sandy's Treedome"),
    },
];

/// The seed heroes: the study's two (`spongebob`, `sandy`) come first.
pub const HEROES: [SeedHero; 6] = [
    SeedHero {
        name: "spongebob",
        secret_name: Some("SpongeBob SquarePants"),
        age: Some(22),
        team: Some("Krusty Krab Crew"),
    },
    SeedHero {
        name: "sandy",
        secret_name: Some("Sandy Cheeks"),
        age: Some(25),
        team: Some("Treedome Science"),
    },
    SeedHero {
        name: "patrick",
        secret_name: Some("Patrick Star"),
        age: Some(23),
        team: None,
    },
    SeedHero {
        name: "squidward",
        secret_name: Some("Squidward Tentacles"),
        age: Some(35),
        team: Some("Krusty Krab Crew"),
    },
    SeedHero {
        name: "mermaid man",
        secret_name: Some("Ernie"),
        age: Some(85),
        team: None,
    },
    SeedHero {
        name: "barnacle boy",
        secret_name: None,
        age: None,
        team: None,
    },
];

/// The seed teams as rows to insert.
pub fn new_teams() -> Vec<NewTeam> {
    TEAMS
        .iter()
        .map(|t| NewTeam {
            name: t.name.to_owned(),
            headquarters: t.headquarters.map(str::to_owned),
        })
        .collect()
}

/// The seed heroes as rows to insert, stamped with `app_src`. `team_id` maps a
/// team name to the id the database gave it; `None` leaves the hero teamless.
pub fn new_heroes(app_src: &str, mut team_id: impl FnMut(&str) -> Option<i64>) -> Vec<NewHero> {
    HEROES
        .iter()
        .map(|h| NewHero {
            name: h.name.to_owned(),
            secret_name: h.secret_name.map(str::to_owned),
            age: h.age,
            app_src: app_src.to_owned(),
            team_id: h.team.and_then(&mut team_id),
        })
        .collect()
}

/// The revision 3 columns of three seed heroes, as the tours set them (the
/// others keep the defaults: a rookie with no powers, no profile, no salary).
pub fn hero_types() -> Vec<(&'static str, HeroTypes)> {
    let profile = |catchphrase: &str, weaknesses: &[&str]| Profile {
        catchphrase: Some(catchphrase.to_owned()),
        weaknesses: weaknesses.iter().map(|w| (*w).to_owned()).collect(),
        extra: serde_json::Map::new(),
    };
    let powers = |powers: &[&str]| powers.iter().map(|p| (*p).to_owned()).collect();
    vec![
        (
            "spongebob",
            HeroTypes {
                rank: HeroRank::Rookie,
                powers: powers(&["bubbles", "karate"]),
                profile: Some(profile("I'm ready!", &["dry air"])),
                salary: Some(Decimal::new(10, 2)), // 0.10, exactly
            },
        ),
        (
            "sandy",
            HeroTypes {
                rank: HeroRank::Veteran,
                powers: powers(&["karate", "science"]),
                profile: Some(profile("Hi-yah!", &["hibernation"])),
                salary: Some(Decimal::new(123_456_789_012, 2)), // 1234567890.12
            },
        ),
        (
            "mermaid man",
            HeroTypes {
                rank: HeroRank::Legend,
                powers: powers(&["telepathy"]),
                profile: Some(profile("EVIL!", &["old age"])),
                salary: Some(Decimal::new(999_999_999_999, 2)), // 9999999999.99, numeric(12,2)'s largest
            },
        ),
    ]
}

/// Two rows that test an insert written by hand: NULL in every nullable
/// column, quotes, a backslash, braces and non-ASCII text in the names.
pub fn awkward_heroes(app_src: &str) -> Vec<NewHero> {
    vec![
        NewHero {
            name: "O'Brien \"the\" \\ hero ✓".to_owned(),
            secret_name: None,
            age: Some(41),
            app_src: app_src.to_owned(),
            team_id: None,
        },
        NewHero {
            name: "plain".to_owned(),
            secret_name: Some("{\"not\": json}".to_owned()),
            age: None,
            app_src: app_src.to_owned(),
            team_id: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_are_unique_as_the_schema_requires() {
        let heroes: HashSet<_> = HEROES.iter().map(|h| h.name).collect();
        assert_eq!(heroes.len(), HEROES.len());
        let teams: HashSet<_> = TEAMS.iter().map(|t| t.name).collect();
        assert_eq!(teams.len(), TEAMS.len());
    }

    #[test]
    fn every_team_a_hero_names_exists_and_every_team_has_a_member() {
        for hero in HEROES {
            if let Some(team) = hero.team {
                assert!(
                    TEAMS.iter().any(|t| t.name == team),
                    "{} names {team}",
                    hero.name
                );
            }
        }
        for team in TEAMS {
            assert!(
                HEROES.iter().any(|h| h.team == Some(team.name)),
                "{} is empty",
                team.name
            );
        }
    }

    #[test]
    fn the_study_heroes_come_first() {
        assert_eq!(HEROES[0].name, "spongebob");
        assert_eq!(HEROES[1].name, "sandy");
    }

    #[test]
    fn new_heroes_stamps_app_src_and_resolves_teams() {
        let heroes = new_heroes("unit-test", |team| {
            (team == "Treedome Science").then_some(7)
        });
        assert_eq!(heroes.len(), HEROES.len());
        assert!(heroes.iter().all(|h| h.app_src == "unit-test"));
        let sandy = heroes.iter().find(|h| h.name == "sandy").unwrap();
        assert_eq!(sandy.team_id, Some(7));
        let spongebob = heroes.iter().find(|h| h.name == "spongebob").unwrap();
        assert_eq!(spongebob.team_id, None, "unresolved team stays None");
        assert_eq!(
            spongebob.secret_name.as_deref(),
            Some("SpongeBob SquarePants")
        );
    }

    #[test]
    fn new_teams_copies_the_seed() {
        let teams = new_teams();
        assert_eq!(teams[0].name, "Krusty Krab Crew");
        assert_eq!(teams[1].headquarters.as_deref(), Some("Sandy's Treedome"));
    }
}
