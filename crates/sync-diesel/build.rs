//! Embeds each migration's `up.sql` text a second time, for `migrate plan`.
//!
//! `embed_migrations!` compiles the same files into the binary, but diesel
//! keeps an embedded migration's SQL private (it only runs it), so printing
//! what `migrate up` would run needs its own copy. This writes
//! `$OUT_DIR/migration_sql.rs`: one `(folder name, include_str!(up.sql))` pair
//! per migration folder, oldest first. async-diesel runs this same script
//! (its `build` key points here), hence the path spelled from either crate.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dir = manifest.join("../sync-diesel/migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut folders: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("the migrations folder exists")
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|path| path.join("up.sql").is_file())
        .collect();
    folders.sort();
    let mut out = String::from("/// Each migration folder and its `up.sql`, oldest first.\n");
    out.push_str("pub(crate) const UP_SQL: &[(&str, &str)] = &[\n");
    for folder in &folders {
        let name = folder
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a UTF-8 folder name");
        let up = folder.join("up.sql").canonicalize().expect("up.sql exists");
        writeln!(out, "    ({name:?}, include_str!({:?})),", up.display()).expect("write to a String");
    }
    out.push_str("];\n");
    let target = PathBuf::from(env::var("OUT_DIR").expect("cargo sets it")).join("migration_sql.rs");
    fs::write(target, out).expect("OUT_DIR is writable");
}
