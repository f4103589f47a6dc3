//! For the example crates' tests: every binary must turn bad input into one
//! line on stderr and the right exit code, never a panic. The three bad
//! `DATABASE_URL`s are checked here once, for every binary.

use std::process::Command;

/// A command line that must fail cleanly.
#[derive(Clone, Copy, Debug)]
pub struct BadInput<'a> {
    /// Arguments after the binary's own defaults.
    pub args: &'a [&'a str],
    /// `DATABASE_URL` to set, if any.
    pub database_url: Option<&'a str>,
    /// The exit code expected.
    pub exit_code: i32,
    /// Text the one stderr line must contain.
    pub message: &'a str,
}

/// A malformed URL, a wrong password, an unknown host: each exit code 2.
pub const BAD_DATABASE_URLS: [BadInput<'static>; 3] = [
    BadInput {
        args: &[],
        database_url: Some("postgres//nope"),
        exit_code: 2,
        message: "DATABASE_URL is not a usable",
    },
    BadInput {
        args: &[],
        database_url: Some("postgres://admin:wrong@localhost:5432/postgres"),
        exit_code: 2,
        message: "password authentication failed",
    },
    BadInput {
        args: &[],
        database_url: Some("postgres://admin:changethis@no-such-host.invalid/postgres"),
        exit_code: 2,
        message: "cannot reach PostgreSQL",
    },
];

/// Runs `command()` with each of [`BAD_DATABASE_URLS`] and then each of
/// `cases`, and panics (failing the test) unless every run ends with exactly
/// one stderr line containing the expected text, the expected exit code, and
/// no panic.
pub fn assert_fails_cleanly(command: impl Fn() -> Command, cases: &[BadInput<'_>]) {
    let all: Vec<BadInput<'_>> = BAD_DATABASE_URLS.iter().chain(cases).copied().collect();
    if let Err(failure) = check_fails_cleanly(command, &all) {
        panic!("{failure}");
    }
}

/// Runs `command()` once per case; returns each run's one stderr line, or
/// what went wrong with the first run that did not fail cleanly (exit code,
/// line count, expected text, panic text).
pub fn check_fails_cleanly(
    command: impl Fn() -> Command,
    cases: &[BadInput<'_>],
) -> Result<Vec<String>, String> {
    let mut lines = Vec::with_capacity(cases.len());
    for case in cases {
        let mut cmd = command();
        if let Some(url) = case.database_url {
            cmd.env("DATABASE_URL", url);
        }
        let out = cmd
            .args(case.args)
            .output()
            .map_err(|err| format!("cannot run {cmd:?}: {err}"))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!("{:?} with DATABASE_URL {:?}", case.args, case.database_url);
        if out.status.code() != Some(case.exit_code) {
            return Err(format!(
                "{what}: exit code {:?}, expected {}: {stderr}",
                out.status.code(),
                case.exit_code
            ));
        }
        if stderr.lines().count() != 1 {
            return Err(format!(
                "{what}: expected one line on stderr, got: {stderr}"
            ));
        }
        if !stderr.contains(case.message) {
            return Err(format!("{what}: expected {:?} in: {stderr}", case.message));
        }
        if stderr.contains("panicked") {
            return Err(format!("{what}: panicked: {stderr}"));
        }
        lines.push(stderr.trim_end().to_owned());
    }
    Ok(lines)
}
