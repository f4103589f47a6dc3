//! The code a tour prints, cut out of the crate's own source at compile time.
//!
//! A lesson file marks each idiom with mdBook's anchors:
//!
//! ```text
//! // ANCHOR: get
//! pub fn get(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Hero>> { .. }
//! // ANCHOR_END: get
//! ```
//!
//! The book includes those lines with `{{#include ../../crates/<crate>/src/queries.rs:get}}`,
//! and the tour prints them with [`anchored`], evaluated in a `const` block:
//!
//! ```
//! const QUERIES: &str = "// ANCHOR: get\nfn get() {}\n// ANCHOR_END: get\n";
//! let get = const { support::snippet::anchored(QUERIES, "get") };
//! assert_eq!(get.code(), "fn get() {}");
//! ```
//!
//! A missing anchor stops the build (a panic in a `const` block is a compile
//! error), and [`Snippet`] can only be made this way, so the tour cannot print
//! a hand-written line: what it prints is what the crate compiles.

/// Lines of a source file between `// ANCHOR: name` and `// ANCHOR_END: name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snippet {
    name: &'static str,
    lines: &'static str,
}

impl Snippet {
    /// The anchor's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The lines as written in the source, anchors excluded.
    pub fn source(&self) -> &'static str {
        self.lines
    }

    /// The lines as the tour prints them: without doc comments (the tour
    /// prints the Python beside them), other anchors' marker lines and blank
    /// edges, and with the common indentation removed.
    pub fn code(&self) -> String {
        let kept: Vec<&str> = self
            .lines
            .lines()
            .filter(|line| {
                let text = line.trim_start();
                !text.starts_with("///") && !text.starts_with("//!") && !is_marker(text)
            })
            .collect();
        let start = kept.iter().position(|l| !l.trim().is_empty());
        let end = kept.iter().rposition(|l| !l.trim().is_empty());
        let (Some(start), Some(end)) = (start, end) else {
            return String::new();
        };
        let kept = &kept[start..=end];
        let indent = kept
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start().len())
            .min()
            .unwrap_or(0);
        kept.iter()
            .map(|l| l.get(indent..).unwrap_or("").trim_end())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Whether a (left-trimmed) line is an mdBook anchor marker.
fn is_marker(text: &str) -> bool {
    text.starts_with("// ANCHOR")
}

/// The lines of `source` between `// ANCHOR: name` and `// ANCHOR_END:
/// name`, each marker alone on its line (indentation allowed). Meant for a
/// `const` block, where a missing or unterminated anchor stops the build.
///
/// # Panics
///
/// When `source` has no such anchor, or no end for it.
pub const fn anchored(source: &'static str, name: &'static str) -> Snippet {
    let text = source.as_bytes();
    let Some(begin) = marker_line(text, b"// ANCHOR: ", name.as_bytes(), 0) else {
        panic!("no `// ANCHOR: <name>` line for this snippet in the file given");
    };
    let Some(end) = marker_line(text, b"// ANCHOR_END: ", name.as_bytes(), begin.1) else {
        panic!("an anchor without its `// ANCHOR_END: <name>` line");
    };
    let (_, rest) = text.split_at(begin.1);
    let (lines, _) = rest.split_at(end.0 - begin.1);
    match core::str::from_utf8(lines) {
        Ok(lines) => Snippet { name, lines },
        Err(_) => panic!("a snippet must end on a line boundary"),
    }
}

/// The first line at or after byte `from` that is, after its indentation,
/// exactly `prefix` followed by `name`: its (start, end after the newline).
const fn marker_line(
    text: &[u8],
    prefix: &[u8],
    name: &[u8],
    from: usize,
) -> Option<(usize, usize)> {
    let mut start = from;
    while start < text.len() {
        let mut end = start;
        while end < text.len() && text[end] != b'\n' {
            end += 1;
        }
        let mut i = start;
        while i < end && (text[i] == b' ' || text[i] == b'\t') {
            i += 1;
        }
        if line_is(text, i, end, prefix, name) {
            let next = if end < text.len() { end + 1 } else { end };
            return Some((start, next));
        }
        start = end + 1;
    }
    None
}

/// Whether `text[at..end]` (trailing spaces and `\r` ignored) is `prefix` + `name`.
const fn line_is(text: &[u8], at: usize, end: usize, prefix: &[u8], name: &[u8]) -> bool {
    let mut end = end;
    while end > at && (text[end - 1] == b' ' || text[end - 1] == b'\r') {
        end -= 1;
    }
    if end - at != prefix.len() + name.len() {
        return false;
    }
    let mut k = 0;
    while k < prefix.len() {
        if text[at + k] != prefix[k] {
            return false;
        }
        k += 1;
    }
    let mut k = 0;
    while k < name.len() {
        if text[at + prefix.len() + k] != name[k] {
            return false;
        }
        k += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "use x;\n\n    // ANCHOR: get_team\n    fn get_team() {}\n    // ANCHOR_END: get_team\n\n// ANCHOR: get\n/// Docs stay in the book.\npub fn get(id: i64) {\n    // ANCHOR: inner\n    let _ = id;\n    // ANCHOR_END: inner\n}\n// ANCHOR_END: get\n";

    #[test]
    fn an_anchor_is_found_by_its_whole_name() {
        let get = const { anchored(SOURCE, "get") };
        assert_eq!(get.name(), "get");
        assert!(get.source().starts_with("/// Docs"));
        assert_eq!(get.code(), "pub fn get(id: i64) {\n    let _ = id;\n}");
        let team = const { anchored(SOURCE, "get_team") };
        assert_eq!(team.code(), "fn get_team() {}");
        assert_eq!(anchored(SOURCE, "inner").code(), "let _ = id;");
    }

    #[test]
    #[should_panic(expected = "no `// ANCHOR: <name>` line")]
    fn a_missing_anchor_is_refused() {
        // At run time a panic; in a `const` block, as the tours use it, the build fails.
        let _ = anchored(SOURCE, "by_name");
    }

    #[test]
    #[should_panic(expected = "without its `// ANCHOR_END")]
    fn an_unterminated_anchor_is_refused() {
        let _ = anchored("// ANCHOR: open\nfn f() {}\n", "open");
    }
}
