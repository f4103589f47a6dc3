//! The book (`book/`) holds together: every chapter SUMMARY.md names exists
//! and every chapter is named; every `{{#include}}` finds its file and its
//! anchor (mdBook itself only logs a missing one and builds a book without
//! the code); every link between chapters finds its chapter and heading;
//! every image exists. `just book` runs this after `mdbook build`, and so
//! does `cargo test --workspace`. No database needed.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn book_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../book/src")
        .canonicalize()
        .unwrap()
}

/// The chapters SUMMARY.md links to, in order.
fn summary_chapters() -> Vec<String> {
    let summary = std::fs::read_to_string(book_src().join("SUMMARY.md")).unwrap();
    links(&summary)
        .into_iter()
        .map(|(_, target)| target)
        .collect()
}

/// `(line, target)` of every markdown link and image outside code blocks.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Inline code can hold brackets and parentheses that are not links.
        let mut prose = String::new();
        for (k, part) in line.split('`').enumerate() {
            if k % 2 == 0 {
                prose.push_str(part);
            }
        }
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else {
                break;
            };
            found.push((i + 1, after[..end].trim().to_owned()));
            rest = &after[end..];
        }
    }
    found
}

/// `(line, path, anchor)` of every `{{#include ...}}` and `{{#rustdoc_include ...}}`.
fn includes(text: &str) -> Vec<(usize, String, Option<String>)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("{{#") {
            let after = &rest[at + 3..];
            let Some(end) = after.find("}}") else {
                break;
            };
            let directive = after[..end].trim();
            if let Some(arg) = directive
                .strip_prefix("include ")
                .or_else(|| directive.strip_prefix("rustdoc_include "))
            {
                let arg = arg.trim();
                match arg.split_once(':') {
                    Some((path, anchor)) => {
                        found.push((i + 1, path.to_owned(), Some(anchor.to_owned())));
                    }
                    None => found.push((i + 1, arg.to_owned(), None)),
                }
            }
            rest = &after[end..];
        }
    }
    found
}

/// The ids mdBook gives a chapter's headings: lower case, spaces to `-`,
/// letters, digits, `-` and `_` kept, the rest dropped.
fn heading_ids(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let id: String = title
            .chars()
            .filter_map(|c| {
                if c.is_alphanumeric() || c == '_' || c == '-' {
                    Some(c.to_ascii_lowercase())
                } else if c.is_whitespace() {
                    Some('-')
                } else {
                    None
                }
            })
            .collect();
        ids.insert(id);
    }
    ids
}

/// Whether `source` has both markers of anchor `name` (mdBook's rule: the
/// marker's word after `ANCHOR:` / `ANCHOR_END:`).
fn has_anchor(source: &str, name: &str) -> bool {
    let marker = |kind: &str| {
        source.lines().any(|line| {
            line.split_once(kind)
                .map(|(_, rest)| rest.trim_start())
                .and_then(|rest| {
                    rest.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                        .next()
                })
                == Some(name)
        })
    };
    marker("ANCHOR:") && marker("ANCHOR_END:")
}

#[test]
fn every_chapter_is_in_the_summary_and_every_summary_entry_exists() {
    let named = summary_chapters();
    assert!(named.len() >= 10, "{named:?}");
    for chapter in &named {
        assert!(
            book_src().join(chapter).is_file(),
            "SUMMARY.md names {chapter}, which does not exist"
        );
    }
    for entry in std::fs::read_dir(book_src()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") && name != "SUMMARY.md" {
            assert!(named.contains(&name), "{name} is not in SUMMARY.md");
        }
    }
}

#[test]
fn every_include_finds_its_file_and_anchor() {
    let mut checked = 0;
    let mut broken = Vec::new();
    for chapter in summary_chapters() {
        let text = std::fs::read_to_string(book_src().join(&chapter)).unwrap();
        for (line, path, anchor) in includes(&text) {
            checked += 1;
            let file = book_src().join(&path);
            let Ok(source) = std::fs::read_to_string(&file) else {
                broken.push(format!("{chapter}:{line}: no file {path}"));
                continue;
            };
            if let Some(anchor) = anchor
                && anchor.parse::<usize>().is_err()
                && !anchor.contains(':')
                && !has_anchor(&source, &anchor)
            {
                broken.push(format!("{chapter}:{line}: {path} has no anchor `{anchor}`"));
            }
        }
    }
    assert!(broken.is_empty(), "broken includes:\n{}", broken.join("\n"));
    assert!(checked >= 60, "only {checked} includes in the book");
}

/// The links of `file` (its text `text`) that lead nowhere: to no file, or
/// to no heading of a markdown file. From the book (`in_book`), a link may
/// not leave `book/src`, whose built pages are all a reader has.
fn dead_links(file: &Path, text: &str, in_book: bool) -> Vec<String> {
    let mut broken = Vec::new();
    let folder = file.parent().unwrap();
    for (line, target) in links(text) {
        if target.starts_with("http://") || target.starts_with("https://") {
            continue;
        }
        let (path, fragment) = match target.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (target.as_str(), None),
        };
        let at = format!("{}:{line}", file.display());
        if in_book && (path.contains("..") || path.starts_with('/')) {
            broken.push(format!(
                "{at}: {target} leaves the book (name a repository file as `code` instead)"
            ));
            continue;
        }
        let target_file = if path.is_empty() {
            file.to_path_buf()
        } else {
            folder.join(path)
        };
        if !target_file.exists() {
            broken.push(format!("{at}: no {path}"));
            continue;
        }
        if let Some(fragment) = fragment
            && target_file.extension().is_some_and(|x| x == "md")
            && !heading_ids(&std::fs::read_to_string(&target_file).unwrap()).contains(fragment)
        {
            broken.push(format!("{at}: {path} has no heading #{fragment}"));
        }
    }
    broken
}

#[test]
fn every_link_between_chapters_finds_its_chapter_and_heading() {
    let mut broken = Vec::new();
    for chapter in summary_chapters() {
        let file = book_src().join(&chapter);
        broken.extend(dead_links(
            &file,
            &std::fs::read_to_string(&file).unwrap(),
            true,
        ));
    }
    assert!(broken.is_empty(), "dead links:\n{}", broken.join("\n"));
}

#[test]
fn the_checker_finds_what_it_looks_for() {
    let text = "# A `code` Title, here\n[one](a.md#x) `[not](b.md)`\n```\n[no](c.md)\n```\n{{#include ../x.rs:get}}\n";
    assert_eq!(links(text), [(2, "a.md#x".to_owned())]);
    assert!(heading_ids(text).contains("a-code-title-here"));
    assert_eq!(
        includes(text),
        [(6, "../x.rs".to_owned(), Some("get".to_owned()))]
    );
    assert!(has_anchor("// ANCHOR: get\n// ANCHOR_END: get\n", "get"));
    assert!(!has_anchor(
        "// ANCHOR: get_team\n// ANCHOR_END: get_team\n",
        "get"
    ));
}

fn workspace() -> PathBuf {
    book_src().join("../..").canonicalize().unwrap()
}

/// README.md and every crate's README.md.
fn readmes() -> Vec<PathBuf> {
    let mut files = vec![workspace().join("README.md")];
    for entry in std::fs::read_dir(workspace().join("crates")).unwrap() {
        let readme = entry.unwrap().path().join("README.md");
        if readme.is_file() {
            files.push(readme);
        }
    }
    files
}

#[test]
fn every_link_in_the_readmes_finds_its_file_and_heading() {
    let mut broken = Vec::new();
    for readme in readmes() {
        broken.extend(dead_links(
            &readme,
            &std::fs::read_to_string(&readme).unwrap(),
            false,
        ));
    }
    assert!(broken.is_empty(), "dead links:\n{}", broken.join("\n"));
}

/// A crate README's table puts the study's Python beside the Rust function
/// that does it (`queries::get`): each one named must exist in the crate.
#[test]
fn every_function_a_crate_readme_names_exists() {
    let mut missing = Vec::new();
    let mut named = 0;
    for readme in readmes().into_iter().skip(1) {
        let text = std::fs::read_to_string(&readme).unwrap();
        let src = readme.parent().unwrap().join("src");
        for (k, span) in text.split('`').enumerate() {
            let Some((module, function)) = span.split_once("::") else {
                continue;
            };
            let is_path =
                |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if k % 2 == 0 || !is_path(module) || !is_path(function) {
                continue;
            }
            let Ok(source) = std::fs::read_to_string(src.join(format!("{module}.rs"))) else {
                continue; // another crate's path (`support::...`), not this crate's
            };
            named += 1;
            if !source.contains(&format!("fn {function}("))
                && !source.contains(&format!("fn {function}<"))
            {
                missing.push(format!("{}: `{module}::{function}`", readme.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "named but not defined:\n{}",
        missing.join("\n")
    );
    assert!(
        named >= 40,
        "only {named} functions named in the crate READMEs"
    );
}
