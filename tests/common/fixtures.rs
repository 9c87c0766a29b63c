//! Fixture files and feed configs shared by the integration tests.
//!
//! Include with `#[path = "common/fixtures.rs"] mod fixtures;`.
#![allow(dead_code)] // each test file uses its own subset

use std::path::Path;

use ketlit::config::FeedConfig;
use ketlit::model::Kind;

/// The bytes of `rel` under `tests/fixtures`.
pub fn fixture(rel: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// An enabled, hourly feed with a 30-day lookback and no filter.
pub fn feed_config(name: &str, kind: Kind, url: String) -> FeedConfig {
    FeedConfig {
        name: name.into(),
        url,
        kind,
        schedule: "0 0 * * * *".into(),
        filter: None,
        enabled: true,
        lookback_days: 30,
        relevant_only: false,
        origin: "test".into(),
    }
}
