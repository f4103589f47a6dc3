//! What a search for heroes asks: every filter optional, one order, an
//! optional page. The lessons' dynamic-filter and streaming queries take a
//! [`HeroSearch`]; the API builds one from `GET /heroes?name_contains=...`.

/// Which heroes, in which order, how many. `Default` is "every hero, in id
/// order, no limit".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeroSearch {
    /// The name contains this text, ignoring case. `%`, `_` and `\` in it
    /// are plain characters, not wildcards (see [`HeroSearch::name_pattern`]).
    pub name_contains: Option<String>,
    /// Age at least this (heroes of unknown age are left out).
    pub min_age: Option<i32>,
    /// Age at most this (heroes of unknown age are left out).
    pub max_age: Option<i32>,
    /// Only this team's heroes.
    pub team_id: Option<i64>,
    /// Only heroes written by this program.
    pub app_src: Option<String>,
    /// Only heroes of this rank (revision 3).
    pub rank: Option<crate::HeroRank>,
    /// Only heroes having this power among their `powers`.
    pub power: Option<String>,
    /// The order; ties are broken by id, ascending.
    pub order: Order,
    /// At most this many rows; all of them when `None`.
    pub limit: Option<i64>,
    /// Skip this many rows first.
    pub offset: i64,
}

/// A column to sort by, and which way. `ORDER BY age DESC` puts unknown ages
/// (NULL) first, as PostgreSQL does; ascending puts them last.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Order {
    /// The column.
    pub by: SortKey,
    /// Largest first.
    pub descending: bool,
}

/// The columns a search may sort by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// `id`, the default.
    #[default]
    Id,
    /// `name`.
    Name,
    /// `age`.
    Age,
}

impl Order {
    /// Reads `id`, `name` or `age`, with a leading `-` for descending.
    pub fn parse(text: &str) -> Option<Self> {
        let (descending, column) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let by = match column {
            "id" => SortKey::Id,
            "name" => SortKey::Name,
            "age" => SortKey::Age,
            _ => return None,
        };
        Some(Self { by, descending })
    }
}

impl HeroSearch {
    /// The `ILIKE` pattern for [`HeroSearch::name_contains`]: the text with
    /// `\`, `%` and `_` escaped (PostgreSQL's default escape character is
    /// `\`), between two `%`. The pattern is a bound value like any other;
    /// escaping only stops the user's `%` from matching everything.
    pub fn name_pattern(&self) -> Option<String> {
        self.name_contains.as_deref().map(|text| {
            let mut pattern = String::with_capacity(text.len() + 2);
            pattern.push('%');
            for c in text.chars() {
                if matches!(c, '\\' | '%' | '_') {
                    pattern.push('\\');
                }
                pattern.push(c);
            }
            pattern.push('%');
            pattern
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_in_the_text_are_escaped() {
        let search = HeroSearch {
            name_contains: Some(r"50%_\x".to_owned()),
            ..HeroSearch::default()
        };
        assert_eq!(search.name_pattern().as_deref(), Some(r"%50\%\_\\x%"));
        assert_eq!(HeroSearch::default().name_pattern(), None);
    }

    #[test]
    fn orders_parse_with_an_optional_minus() {
        assert_eq!(
            Order::parse("-age"),
            Some(Order {
                by: SortKey::Age,
                descending: true
            })
        );
        assert_eq!(Order::parse("name").map(|o| o.by), Some(SortKey::Name));
        assert_eq!(Order::parse("secret_name"), None);
        assert_eq!(Order::parse("--id"), None);
    }
}
