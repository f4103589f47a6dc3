//! The tour placeholder (replaced below).
fn main() {}
