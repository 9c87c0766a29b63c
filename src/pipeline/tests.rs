//! The pipeline's own tests: sightings, selection, windows and the commit timer.

use std::time::Duration;

use chrono::{NaiveDate, Utc};

use super::select::select_entries;
use super::*;
use crate::config::Config;
use crate::model::RawEntry;
use crate::store::Store;
use crate::tag::Tagger;

fn with_ids(doi: Option<&str>, pmid: Option<&str>, pmcid: Option<&str>) -> RawEntry {
    RawEntry {
        title: Some("Esketamine for treatment-resistant depression".into()),
        doi: doi.map(str::to_owned),
        pmid: pmid.map(str::to_owned),
        pmcid: pmcid.map(str::to_owned),
        ..RawEntry::default()
    }
}

#[test]
fn an_entry_is_seen_before_when_an_earlier_one_had_any_of_its_identifiers() {
    let seen = Sightings::default();
    let first = seen.seen_before(&[
        with_ids(Some("10.1/a"), None, None),
        with_ids(None, Some("123"), None),
        // Each kind of identifier apart: a PMCID is not a PMID of the same digits.
        with_ids(None, None, Some("123")),
        with_ids(Some(" 10.1/a "), None, None),
        with_ids(None, None, None),
        with_ids(Some(""), None, None),
    ]);
    assert_eq!(first, [false, false, false, true, false, false]);
    // Across calls (another feed) until the burst ends.
    let again = with_ids(Some("10.2/b"), Some("123"), None);
    assert_eq!(seen.seen_before(std::slice::from_ref(&again)), [true]);
    seen.clear();
    assert_eq!(seen.seen_before(&[again]), [false]);
}

#[test]
fn an_entry_seen_before_is_left_to_the_writer_unless_the_feed_keeps_only_relevant_ones() {
    let tagger = Tagger::builtin();
    let mut feed = Config::builtin().unwrap().feeds[0].clone();
    feed.filter = None;
    let entries = || vec![with_ids(Some("10.1/a"), None, None); 2];
    for relevant_only in [false, true] {
        feed.relevant_only = relevant_only;
        let (kept, prepared, refused) =
            select_entries(&feed, &tagger, &Sightings::default(), entries());
        assert_eq!((kept.len(), refused), (2, 0));
        let verdicts: Vec<bool> = prepared.iter().map(|p| p.tags.is_some()).collect();
        assert_eq!(
            verdicts,
            [true, relevant_only],
            "relevant_only = {relevant_only}"
        );
    }
}

#[test]
fn a_lookback_past_the_calendar_starts_the_window_at_its_first_day_instead_of_panicking() {
    let mut feed = Config::builtin().unwrap().feeds[0].clone();
    feed.lookback_days = u32::MAX;
    let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let w = incremental_window(&feed, None, today);
    assert_eq!((w.from, w.to), (NaiveDate::MIN, today));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lone_write_is_committed_once_due_with_no_job_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ketlit.db");
    let cfg = Config::builtin().unwrap();
    let feeds = cfg.feeds.clone();
    let ctx = Ctx::new(cfg, Store::open(&path).unwrap()).unwrap();
    ctx.with_store(move |s| s.sync_feeds(&feeds, Utc::now()))
        .await
        .unwrap();
    // Another connection sees the write only once it is committed.
    let reader = Store::open_read_only(&path).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while reader.feeds().unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the shared transaction was never committed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
