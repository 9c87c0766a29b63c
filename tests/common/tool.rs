//! External programs the export and serve tests hand their output to (pandoc,
//! Python, Chromium).
//!
//! Include with `#[path = "common/tool.rs"] mod tool;`.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `cmd` in `dir` and returns its output once it has succeeded; a missing
/// tool fails the test (CI installs them).
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
