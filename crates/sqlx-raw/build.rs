//! Rebuilds the crate when a file in `migrations/` is added or changed.
//!
//! `sqlx::migrate!` reads the folder while compiling, but on stable Rust
//! cargo does not know the macro read it: without this line a new migration
//! is left out of the binary until something else changes.
//! `sqlx migrate build-script` writes the same.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
