//! Rebuilds the crate when a file in the workspace's `migrations/` is added
//! or changed: `embed_migrations!` reads the folder while compiling, but on
//! stable Rust cargo does not know it did (diesel's documentation asks for
//! this line).

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
