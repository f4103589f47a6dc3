//! For the `diesel` feature: embeds each folder's `up.sql` of the workspace's
//! `migrations/` a second time, for `migrate plan`.
//!
//! `embed_migrations!` compiles the same files into the diesel crates, but
//! diesel keeps an embedded migration's SQL private (it only runs it), so
//! printing what `migrate up` would run needs its own copy. This writes
//! `$OUT_DIR/migration_sql.rs`: one `(folder name, include_str!(up.sql))` pair
//! per migration folder, oldest first (empty without the feature).

use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    let mut out = String::from("/// Each migration folder and its `up.sql`, oldest first.\n");
    out.push_str("pub const UP_SQL: &[(&str, &str)] = &[\n");
    if env::var_os("CARGO_FEATURE_DIESEL").is_some() {
        let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../migrations");
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut folders = Vec::new();
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.join("up.sql").is_file() {
                folders.push(path);
            }
        }
        folders.sort();
        for folder in &folders {
            let name = folder
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| format!("{} is not a UTF-8 folder name", folder.display()))?;
            let up = folder.join("up.sql").canonicalize()?;
            writeln!(out, "    ({name:?}, include_str!({:?})),", up.display())?;
        }
    }
    out.push_str("];\n");
    fs::write(
        PathBuf::from(env::var("OUT_DIR")?).join("migration_sql.rs"),
        out,
    )?;
    Ok(())
}
