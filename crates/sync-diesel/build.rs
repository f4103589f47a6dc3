//! Embeds each migration's `up.sql` text a second time, for `migrate plan`.
//!
//! `embed_migrations!` compiles the same files into the binary, but diesel
//! keeps an embedded migration's SQL private (it only runs it), so printing
//! what `migrate up` would run needs its own copy. This writes
//! `$OUT_DIR/migration_sql.rs`: one `(folder name, include_str!(up.sql))` pair
//! per migration folder, oldest first. async-diesel runs this same script
//! (its `build` key points here), hence the path spelled from either crate.

use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../sync-diesel/migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut folders = Vec::new();
    for entry in fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.join("up.sql").is_file() {
            folders.push(path);
        }
    }
    folders.sort();
    let mut out = String::from("/// Each migration folder and its `up.sql`, oldest first.\n");
    out.push_str("pub(crate) const UP_SQL: &[(&str, &str)] = &[\n");
    for folder in &folders {
        let name = folder
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{} is not a UTF-8 folder name", folder.display()))?;
        let up = folder.join("up.sql").canonicalize()?;
        writeln!(out, "    ({name:?}, include_str!({:?})),", up.display())?;
    }
    out.push_str("];\n");
    fs::write(
        PathBuf::from(env::var("OUT_DIR")?).join("migration_sql.rs"),
        out,
    )?;
    Ok(())
}
