//! External programs the export and serve tests hand their output to (pandoc,
//! Python, Chromium): the strongest checks we have, since real consumers read what
//! ketlit writes.
//!
//! Include with `#[path = "common/tool.rs"] mod tool;`. A test that needs a program
//! starts with `if !tool::present(&[...]) { return; }`: where a program is missing it
//! says so loudly and passes, unless `KETLIT_REQUIRE_INTEROP=1` (set by `.ci/run`,
//! which installs them all), where it fails.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// What an interop test needs.
pub enum Need {
    /// A program on the PATH, probed with `--version`.
    Program(&'static str),
    /// A Python 3 module, probed by importing it.
    Python(&'static str),
}

/// Whether everything in `needs` is here. When something is missing: under
/// `KETLIT_REQUIRE_INTEROP=1` the test fails; otherwise a `SKIPPED:` line goes to
/// stderr and the caller returns early.
pub fn present(needs: &[Need]) -> bool {
    let missing: Vec<String> = needs.iter().filter_map(missing).collect();
    if missing.is_empty() {
        return true;
    }
    let what = missing.join(", ");
    if std::env::var("KETLIT_REQUIRE_INTEROP").is_ok_and(|v| v == "1") {
        panic!("{what} not found, and KETLIT_REQUIRE_INTEROP=1 requires it (see .ci/run)");
    }
    // Written to stderr itself, not through eprintln!, which the test harness
    // captures and hides for a passing test.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {what} not found; CI requires it (see .ci/run)"
    );
    false
}

fn missing(need: &Need) -> Option<String> {
    let (ok, name) = match need {
        Need::Program(p) => (probe(p, &["--version"]), (*p).to_string()),
        Need::Python(m) => (
            probe("python3", &["-c", &format!("import {m}")]),
            format!("python3 module {m}"),
        ),
    };
    (!ok).then_some(name)
}

fn probe(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `cmd` in `dir` and returns its output once it has succeeded.
pub fn run(cmd: &str, args: &[&str], dir: &Path) -> Output {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} is required (see .ci/run): {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}
