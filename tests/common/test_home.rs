//! A temporary home for one end-to-end test: where its database and config live, and
//! the real `ketlit` binary run against them with a clean environment.
#![allow(dead_code)] // each test file uses its own subset

use std::fmt::Display;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub struct TestHome {
    pub dir: tempfile::TempDir,
}

impl TestHome {
    pub fn new() -> TestHome {
        TestHome {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// In a subfolder that does not exist yet, so the store must create it.
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("data/ketlit.db")
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// Writes the config: `head` (settings and tables), then a `[[feed]]` table per
    /// feed with its name, url and `extra` TOML lines.
    pub fn write_config_with_feeds(&self, head: &str, feeds: &[(&str, String, impl Display)]) {
        let mut text = head.to_string();
        for (name, url, extra) in feeds {
            text.push_str(&format!(
                "\n[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\n{extra}\n"
            ));
        }
        std::fs::write(self.config(), text).unwrap();
    }

    /// The binary with this home's database and config, and nothing from the
    /// developer's environment that could change its behaviour.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ketlit"));
        c.args(args)
            .env("KETLIT_DB", self.db())
            .env("KETLIT_CONFIG", self.config())
            .env("HOME", self.dir.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("RUST_LOG")
            .env_remove("NCBI_API_KEY")
            .stdin(Stdio::null());
        c
    }

    /// Runs the binary to completion off the async runtime (test servers live on it).
    pub async fn run(&self, args: &[&str]) -> Output {
        let mut c = self.command(args);
        tokio::task::spawn_blocking(move || c.output().unwrap())
            .await
            .unwrap()
    }

    /// Runs a command that must succeed and print JSON.
    pub async fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args).await;
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
    }

    /// Every stored entry, as `ketlit list --format json --limit 0` prints them.
    pub async fn list_all(&self) -> Value {
        self.json(&["list", "--format", "json", "--limit", "0"])
            .await
    }
}

/// Declares `struct $name(TestHome)`, a test file's own home: it derefs to
/// [`TestHome`], so the file's helpers sit beside the shared ones.
macro_rules! home_newtype {
    ($name:ident) => {
        struct $name($crate::test_home::TestHome);

        impl std::ops::Deref for $name {
            type Target = $crate::test_home::TestHome;
            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }
    };
}
pub(crate) use home_newtype;
