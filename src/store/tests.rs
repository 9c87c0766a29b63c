//! Store: migrations on a fresh file, ingest identity and merging, queries.

use chrono::{TimeZone, Utc};

use super::*;
use crate::config::FeedConfig;
use crate::model::{FeedInfo, Format, Kind, RawEntry};
use crate::schedule::NextDue;

fn feed(name: &str) -> FeedConfig {
    FeedConfig {
        name: name.into(),
        url: format!("https://example.org/{name}.xml"),
        kind: Kind::Auto,
        schedule: "0 0 * * * *".into(),
        filter: None,
        enabled: true,
        origin: "test".into(),
    }
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("sub/k.db")).unwrap();
    s.sync_feeds(&[feed("a"), feed("b"), feed("c")], Utc::now())
        .unwrap();
    (dir, s)
}

fn entry(guid: &str, title: &str) -> RawEntry {
    RawEntry {
        guid: Some(guid.into()),
        title: Some(title.into()),
        link: Some(format!("https://example.org/{guid}")),
        published: Some(Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap()),
        ..Default::default()
    }
}

fn info() -> FeedInfo {
    FeedInfo {
        title: Some("T".into()),
        link: None,
        format: Format::Rss2,
        ttl_minutes: None,
    }
}

fn ingest(s: &mut Store, feed: &str, entries: &[RawEntry]) -> IngestStats {
    let now = Utc::now();
    s.record_run(
        feed,
        RunOutcome::Parsed {
            info: info(),
            entries: entries.to_vec(),
            filtered_out: 0,
            validators: Default::default(),
            http_status: 200,
        },
        FeedUpdate::new(
            now,
            NextDue {
                at: now,
                reason: "test".into(),
            },
        ),
    )
    .unwrap()
}

#[test]
fn migrations_apply_to_a_fresh_file_with_pragmas() {
    let (_d, s) = open();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let c = s.connection();
    let mode: String = c
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = c
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    for table in [
        "feeds",
        "entries",
        "sources",
        "tags",
        "links",
        "entries_fts",
    ] {
        let n: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "{table}");
    }
}

#[test]
fn reopening_does_not_reapply_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.db");
    drop(Store::open(&p).unwrap());
    let s = Store::open(&p).unwrap();
    s.connection()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    drop(s);
    let e = Store::open(&p).err().unwrap().to_string();
    assert!(e.contains("newer than this ketlit"), "{e}");
}

#[test]
fn a_file_that_is_not_sqlite_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.db");
    std::fs::write(&p, vec![b'x'; 4096]).unwrap();
    let e = Store::open(&p).err().unwrap().to_string();
    assert!(e.contains("not a ketlit database"), "{e}");
}

#[test]
fn second_pass_is_unchanged_and_changed_content_is_an_update() {
    let (_d, mut s) = open();
    let es = vec![entry("1", "One"), entry("2", "Two")];
    let st = ingest(&mut s, "a", &es);
    assert_eq!((st.new, st.updated, st.unchanged), (2, 0, 0));
    let st = ingest(&mut s, "a", &es);
    assert_eq!((st.new, st.updated, st.unchanged), (0, 0, 2));
    let mut changed = es.clone();
    changed[0].summary = Some("Now with an abstract".into());
    let st = ingest(&mut s, "a", &changed);
    assert_eq!((st.new, st.updated, st.unchanged), (0, 1, 1));
    assert_eq!(s.count_entries().unwrap(), 2);
    let row = s.feed("a").unwrap().unwrap();
    assert_eq!(row.entries, 2, "sightings counted once");
}

#[test]
fn entries_without_guid_are_keyed_by_link_then_hash() {
    let (_d, mut s) = open();
    let mut e = entry("x", "No guid");
    e.guid = None;
    let mut f = e.clone();
    f.link = None;
    ingest(&mut s, "a", &[e.clone(), f.clone()]);
    let st = ingest(&mut s, "a", &[e, f]);
    assert_eq!(st.unchanged, 2);
    assert_eq!(s.count_entries().unwrap(), 2);
}

#[test]
fn same_doi_in_two_feeds_is_one_work_with_two_sources_and_filled_gaps() {
    let (_d, mut s) = open();
    let mut toc = entry("toc-1", "Esketamine in TRD");
    toc.doi = Some("10.1000/xyz".into());
    toc.summary = Some("Short blurb.".into());
    let mut pubmed = entry("pubmed:123", "Esketamine in treatment-resistant depression");
    pubmed.doi = Some("10.1000/xyz".into());
    pubmed.pmid = Some("123".into());
    pubmed.summary = Some("BACKGROUND: A much longer, structured abstract from PubMed.".into());
    pubmed.mesh = vec!["Ketamine".into()];
    assert_eq!(ingest(&mut s, "a", &[toc]).new, 1);
    let st = ingest(&mut s, "b", &[pubmed]);
    assert_eq!((st.new, st.merged), (0, 1));
    assert_eq!(s.count_entries().unwrap(), 1);
    let rows = s.list(&Filters::default()).unwrap();
    assert_eq!(rows[0].sources, vec!["a", "b"]);
    assert_eq!(rows[0].pmid.as_deref(), Some("123"));
    assert_eq!(
        rows[0].title, "Esketamine in TRD",
        "first non-empty title wins"
    );
    let d = s.show(rows[0].id).unwrap().unwrap();
    assert!(
        d.abstract_.unwrap().starts_with("BACKGROUND"),
        "the fuller abstract wins"
    );
    assert_eq!(d.mesh, vec!["Ketamine"]);
    assert_eq!(d.seen_in.len(), 2);
}

#[test]
fn a_sighting_that_links_two_works_merges_them() {
    let (_d, mut s) = open();
    let mut by_doi = entry("1", "Paper");
    by_doi.doi = Some("10.1/a".into());
    let mut by_pmid = entry("2", "Paper");
    by_pmid.pmid = Some("999".into());
    ingest(&mut s, "a", &[by_doi]);
    ingest(&mut s, "b", &[by_pmid]);
    assert_eq!(s.count_entries().unwrap(), 2);
    let mut both = entry("3", "Paper");
    both.doi = Some("10.1/a".into());
    both.pmid = Some("999".into());
    ingest(&mut s, "c", &[both]);
    assert_eq!(s.count_entries().unwrap(), 1);
    let rows = s.list(&Filters::default()).unwrap();
    assert_eq!(rows[0].sources, vec!["a", "b", "c"]);
    assert_eq!(
        (rows[0].doi.as_deref(), rows[0].pmid.as_deref()),
        (Some("10.1/a"), Some("999"))
    );
}

#[test]
fn a_paper_reporting_a_trial_is_not_merged_with_its_registration() {
    let (_d, mut s) = open();
    let mut reg = entry("NCT01234567", "Registration");
    reg.nct_id = Some("NCT01234567".into());
    let mut paper = entry("p", "Results paper");
    paper.nct_id = Some("NCT01234567".into());
    paper.doi = Some("10.1/results".into());
    ingest(&mut s, "a", &[reg.clone()]);
    ingest(&mut s, "b", &[paper]);
    assert_eq!(s.count_entries().unwrap(), 2);
    let mut reg2 = entry("other-guid", "Registration again");
    reg2.nct_id = reg.nct_id.clone();
    assert_eq!(ingest(&mut s, "c", &[reg2]).merged, 1);
}

#[test]
fn list_filters_and_search_ranks_title_first() {
    let (_d, mut s) = open();
    let mut e1 = entry("1", "Ketamine for depression");
    e1.published = Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
    let mut e2 = entry("2", "Sleep and mood");
    e2.summary = Some("We mention ketamine once in the abstract.".into());
    e2.published = Some(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap());
    let e3 = entry("3", "Unrelated");
    ingest(&mut s, "a", &[e1, e3]);
    ingest(&mut s, "b", &[e2]);
    let all = s.list(&Filters::default()).unwrap();
    assert_eq!(
        all.iter().map(|r| r.title.as_str()).collect::<Vec<_>>()[0],
        "Sleep and mood"
    );
    let only_b = s
        .list(&Filters {
            source: Some("b".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(only_b.len(), 1);
    let since = s
        .list(&Filters {
            since: Some(Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(since.len(), 1);
    let hits = s.search("ketamine", &Filters::default()).unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].title, "Ketamine for depression");
    assert!(
        s.search("\"no such phrase here\"", &Filters::default())
            .unwrap()
            .is_empty()
    );
    // Syntax that would be an FTS5 error is quoted instead.
    assert_eq!(s.search("ketamine-", &Filters::default()).unwrap().len(), 2);
    let tagged = s
        .list(&Filters {
            tags: vec!["ptsd".into()],
            ..Default::default()
        })
        .unwrap();
    assert!(tagged.is_empty());
}

#[test]
fn a_failed_run_rolls_back_nothing_and_counts_errors() {
    let (_d, mut s) = open();
    let now = Utc::now();
    let upd = || {
        FeedUpdate::new(
            now,
            NextDue {
                at: now,
                reason: "backoff".into(),
            },
        )
    };
    for _ in 0..2 {
        s.record_run(
            "a",
            RunOutcome::Failed {
                error: "HTTP 500".into(),
                http_status: Some(500),
            },
            upd(),
        )
        .unwrap();
    }
    let row = s.feed("a").unwrap().unwrap();
    assert_eq!(row.consecutive_errors, 2);
    assert_eq!(row.last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(row.last_status.as_deref(), Some("error"));
    ingest(&mut s, "a", &[entry("1", "x")]);
    assert_eq!(s.feed("a").unwrap().unwrap().consecutive_errors, 0);
    assert!(s.retry_feed("a", now).unwrap());
    assert!(!s.retry_feed("nope", now).unwrap());
}

#[test]
fn an_unknown_feed_rolls_back_the_whole_run() {
    let (_d, mut s) = open();
    let now = Utc::now();
    let r = s.record_run(
        "not-synced",
        RunOutcome::Parsed {
            info: info(),
            entries: vec![entry("1", "x")],
            filtered_out: 0,
            validators: Default::default(),
            http_status: 200,
        },
        FeedUpdate::new(
            now,
            NextDue {
                at: now,
                reason: String::new(),
            },
        ),
    );
    assert!(r.is_err());
    assert_eq!(s.count_entries().unwrap(), 0);
}
