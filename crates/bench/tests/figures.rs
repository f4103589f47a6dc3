//! Figures in prose come from the report only: every report block in the
//! README, the crate READMEs and the book is what docs/COMPARISON.json gives,
//! no measured figure is typed outside a block, and the book's measured
//! comparison is the JSON rendered. No database needed.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use bench::figures;
use bench::report::{self, ANALYSIS};
use bench::results::Results;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn committed() -> Results {
    let text = std::fs::read_to_string(workspace().join("docs/COMPARISON.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_report_block_is_what_the_committed_figures_give() {
    let results = committed();
    let mut blocks = 0;
    for file in figures::prose_files(&workspace()) {
        let text = std::fs::read_to_string(&file).unwrap();
        blocks += text.matches("<!-- report:").count();
        let rendered = figures::rewrite(&text, &results, &workspace(), &file).unwrap();
        assert!(
            rendered == text,
            "{} holds figures other than docs/COMPARISON.json's; run `cargo run -p bench -- render`",
            file.display()
        );
    }
    assert!(blocks >= 5, "only {blocks} report blocks in the prose");
}

#[test]
fn no_measured_figure_is_typed_outside_a_report_block() {
    let mut typed = Vec::new();
    for file in figures::prose_files(&workspace()) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, content) in figures::unmarked_figures(&text) {
            typed.push(format!("{}:{line}: {content}", file.display()));
        }
    }
    assert!(
        typed.is_empty(),
        "figures typed by hand (put them in a report block, see crates/bench/src/figures.rs):\n{}",
        typed.join("\n")
    );
}

#[test]
fn the_books_measured_comparison_is_the_committed_figures_rendered() {
    let results = committed();
    let rendered = report::render(&results, ANALYSIS, &mut |_, _, _, _, _| Ok(())).unwrap();
    let chapter = std::fs::read_to_string(workspace().join("book/src/comparison.md")).unwrap();
    assert!(
        rendered == chapter,
        "book/src/comparison.md is not docs/COMPARISON.json rendered; run `cargo run -p bench -- render`"
    );
}

#[test]
fn the_fault_report_is_the_committed_fault_figures_rendered() {
    let text = std::fs::read_to_string(workspace().join("docs/FAULTS.json")).unwrap();
    let results: bench::faults::FaultsResults = serde_json::from_str(&text).unwrap();
    let report = std::fs::read_to_string(workspace().join("docs/FAULTS.md")).unwrap();
    assert!(
        bench::faults::render(&results) == report,
        "docs/FAULTS.md is not docs/FAULTS.json rendered; run `cargo run -p bench -- faults --render`"
    );
}
