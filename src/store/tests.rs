//! Store: migrations on a fresh file, ingest identity and merging, queries.

use chrono::{TimeZone, Utc};

use super::*;
use crate::config::FeedConfig;
use crate::model::{FeedInfo, Format, Kind, RawEntry, WorkLink};
use crate::schedule::NextDue;

pub(super) fn feed(name: &str) -> FeedConfig {
    FeedConfig {
        name: name.into(),
        url: format!("https://example.org/{name}.xml"),
        kind: Kind::Auto,
        schedule: "0 0 * * * *".into(),
        filter: None,
        enabled: true,
        lookback_days: 30,
        relevant_only: false,
        origin: "test".into(),
    }
}

pub(super) fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("sub/k.db")).unwrap();
    s.sync_feeds(&[feed("a"), feed("b"), feed("c")], Utc::now())
        .unwrap();
    (dir, s)
}

pub(super) fn entry(guid: &str, title: &str) -> RawEntry {
    RawEntry {
        guid: Some(guid.into()),
        title: Some(title.into()),
        link: Some(format!("https://example.org/{guid}")),
        published: Some(Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap()),
        ..Default::default()
    }
}

pub(super) fn info() -> FeedInfo {
    FeedInfo {
        title: Some("T".into()),
        link: None,
        format: Format::Rss2,
        ttl_minutes: None,
    }
}

pub(super) fn ingest(s: &mut Store, feed: &str, entries: &[RawEntry]) -> IngestStats {
    ingest_links(s, feed, entries, &[])
}

pub(super) fn ingest_links(
    s: &mut Store,
    feed: &str,
    entries: &[RawEntry],
    links: &[WorkLink],
) -> IngestStats {
    s.ingest_entries(feed, info(), entries.to_vec(), links.to_vec())
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
    let page: i64 = c
        .pragma_query_value(None, "page_size", |r| r.get(0))
        .unwrap();
    assert_eq!(page, PAGE_SIZE);
    for table in ["feeds", "entries", "sources", "links", "fts_log", "meta"] {
        let n: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "{table}");
    }
    // The full-text index lives in a file of its own (see `search`).
    let n: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'entries_fts'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn cached_statements_are_reused_without_replanning() {
    let (_d, mut s) = open();
    let entries: Vec<RawEntry> = (1..=5)
        .map(|i| entry(&format!("g{i}"), &format!("Title {i}")))
        .collect();
    ingest(&mut s, "a", &entries);
    // The sources lookup filters on a column its index does not cover, the shape whose
    // plan SQLite ties to the bound value unless the planner guarantee is on.
    let sql = "SELECT f.name FROM sources s JOIN feeds f ON f.id = s.feed_id
               WHERE s.entry_id = ?1 AND s.first_seen_at > ?2";
    for id in 1..=5i64 {
        let mut st = s.connection().prepare_cached(sql).unwrap();
        let names: Vec<String> = st
            .query_map(rusqlite::params![id, 0], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(names, ["a"]);
    }
    let st = s.connection().prepare_cached(sql).unwrap();
    assert_eq!(st.get_status(rusqlite::StatementStatus::RePrepare), 0);
}

/// A database in `dir` as ketlit made them before new ones had 16 KB pages: SQLite's
/// 4 KB pages, in WAL mode, with content (so its page size can no longer change).
fn four_kib_pages(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("old.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE x (y);")
        .unwrap();
    path
}

#[test]
fn a_database_made_with_other_pages_keeps_them_and_works() {
    // Databases made before new ones had 16 KB pages have SQLite's 4 KB pages; the
    // page size of a file with content cannot change, and opening must not try.
    let dir = tempfile::tempdir().unwrap();
    let path = four_kib_pages(dir.path());
    let mut s = Store::open(&path).unwrap();
    s.sync_feeds(&[feed("a")], Utc::now()).unwrap();
    ingest(&mut s, "a", &[entry("1", "Esketamine in TRD")]);
    assert_eq!(s.list(&Filters::default()).unwrap().len(), 1);
    let page: i64 = s
        .connection()
        .pragma_query_value(None, "page_size", |r| r.get(0))
        .unwrap();
    assert_eq!(page, 4096);
    assert_eq!(
        s.search("esketamine", &Filters::default()).unwrap().len(),
        1
    );
}

#[test]
fn the_writers_own_checkpoints_start_at_the_same_log_size_whatever_the_pages() {
    // The writer's fallback checkpoint is set in pages; a database with 4 KB pages
    // (made before 16 KB) must not wait for four times less log than a new one.
    let dir = tempfile::tempdir().unwrap();
    let old = four_kib_pages(dir.path());
    for (path, page) in [(dir.path().join("new.db"), PAGE_SIZE), (old, 4096)] {
        let mut s = Store::open(&path).unwrap();
        let _c = s.spawn_checkpointer().unwrap();
        let pages: i64 = s
            .connection()
            .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
            .unwrap();
        assert_eq!(pages * page, 200 << 20, "{}", path.display());
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
fn an_upgrade_waits_for_an_older_daemon_to_stop() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.db");
    // A database an older ketlit left at schema v4.
    {
        let c = rusqlite::Connection::open(&p).unwrap();
        for (_, sql) in &MIGRATIONS[..4] {
            c.execute_batch(sql).unwrap();
        }
        c.pragma_update(None, "user_version", 4).unwrap();
    }
    // Its daemon holds the lock, as another process.
    let mut lock = std::fs::File::create(crate::lock::lock_path(&p)).unwrap();
    std::io::Write::write_all(&mut lock, b"999999").unwrap();
    lock.lock().unwrap();
    let e = Store::open(&p).err().unwrap().to_string();
    assert!(
        e.contains("daemon (pid 999999) from an older version"),
        "{e}"
    );
    let c = rusqlite::Connection::open(&p).unwrap();
    let v: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 4, "nothing migrated");
    // Once it has stopped, the upgrade goes through.
    lock.unlock().unwrap();
    let s = Store::open(&p).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
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
fn a_key_repeated_in_one_document_is_one_sighting_on_a_new_feed_and_an_old_one() {
    let (_d, mut s) = open();
    let first = entry("1", "One");
    let mut again = first.clone();
    again.summary = Some("The same item, listed twice with an abstract".into());
    // Feed "a" has no sightings yet (its keys are checked in memory); the second
    // ingest finds the stored ones.
    for expect_new in [1, 0] {
        let st = ingest(&mut s, "a", &[first.clone(), again.clone(), first.clone()]);
        assert_eq!(st.new, expect_new);
        assert_eq!(st.new_sightings, expect_new);
        assert_eq!(st.new + st.updated + st.unchanged, 3, "{st:?}");
        assert_eq!(s.count_entries().unwrap(), 1);
        assert_eq!(s.feed("a").unwrap().unwrap().entries, 1);
    }
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
            &RunOutcome::Failed {
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
    let r = s.ingest_entries("not-synced", info(), vec![entry("1", "x")], Vec::new());
    assert!(r.is_err());
    assert_eq!(s.count_entries().unwrap(), 0);
}

fn links_of(s: &Store, id: i64) -> Vec<(String, i64)> {
    s.show(id)
        .unwrap()
        .unwrap()
        .summary
        .links
        .into_iter()
        .map(|l| (l.rel, l.id))
        .collect()
}

fn id_by_doi(s: &Store, doi: &str) -> i64 {
    s.connection()
        .query_row("SELECT id FROM entries WHERE doi = ?1", [doi], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_preprint_and_its_journal_version_are_linked_in_either_order() {
    let (_d, mut s) = open();
    let mut preprint = entry("pp", "Ketamine preprint");
    preprint.doi = Some("10.1101/2024.01.01.1".into());
    preprint.categories = vec!["type:preprint".into()];
    let link = WorkLink {
        rel: "published-as".into(),
        from_doi: "10.1101/2024.01.01.1".into(),
        to_doi: "https://doi.org/10.1000/J.1".into(),
    };
    // The link arrives with the preprint, before the journal version exists.
    ingest_links(&mut s, "a", &[preprint], &[link]);
    let mut journal = entry("j", "Ketamine article");
    journal.doi = Some("10.1000/j.1".into());
    ingest(&mut s, "b", &[journal]);
    let (p, j) = (
        id_by_doi(&s, "10.1101/2024.01.01.1"),
        id_by_doi(&s, "10.1000/j.1"),
    );
    assert_ne!(p, j, "two works, not merged");
    assert_eq!(links_of(&s, p), vec![("published-as".to_string(), j)]);
    assert_eq!(links_of(&s, j), vec![("preprint-of".to_string(), p)]);
    let d = s.show(p).unwrap().unwrap();
    assert_eq!(d.summary.tags, vec!["type:preprint"]);
    assert_eq!(d.evidence[0].field.as_deref(), Some("source"));
}

#[test]
fn a_registration_and_the_papers_reporting_it_are_linked() {
    let (_d, mut s) = open();
    let mut paper = entry("p", "Results of a ketamine trial");
    paper.pmid = Some("111".into());
    paper.categories = vec!["nct:NCT00000002".into()];
    paper.nct_id = Some("NCT00000001".into());
    ingest(&mut s, "a", &[paper]);
    let mut reg1 = entry("NCT00000001", "Registration one");
    reg1.nct_id = Some("NCT00000001".into());
    reg1.categories = vec!["type:trial-registration".into()];
    let mut reg2 = entry("NCT00000002", "Registration two");
    reg2.nct_id = Some("NCT00000002".into());
    ingest(&mut s, "b", &[reg1, reg2]);
    let paper_id: i64 = s
        .connection()
        .query_row("SELECT id FROM entries WHERE pmid = '111'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let regs: Vec<i64> = links_of(&s, paper_id)
        .into_iter()
        .map(|(rel, id)| {
            assert_eq!(rel, "registration");
            id
        })
        .collect();
    assert_eq!(regs.len(), 2);
    for r in regs {
        assert_eq!(links_of(&s, r), vec![("report".to_string(), paper_id)]);
    }
    assert_eq!(s.count_entries().unwrap(), 3);
}

#[test]
fn a_work_merged_within_one_ingest_is_linked_by_what_it_holds_at_the_end() {
    let (_d, mut s) = open();
    let mut reg = entry("NCT00000009", "Registration");
    reg.nct_id = Some("NCT00000009".into());
    ingest(&mut s, "b", &[reg]);
    let reg_id: i64 = s
        .connection()
        .query_row(
            "SELECT id FROM entries WHERE nct_id = 'NCT00000009'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // Two sightings of one paper that name no shared identifier, then a third that
    // names both: the first names the trial, the third merges the two works, and
    // only the work left standing is linked (the one folded away is gone).
    let mut a = entry("a1", "Trial report");
    a.doi = Some("10.1000/x.1".into());
    a.categories = vec!["nct:NCT00000009".into()];
    let mut b = entry("b1", "Trial report (PubMed)");
    b.pmid = Some("999".into());
    let mut both = entry("c1", "Trial report");
    both.doi = Some("10.1000/x.1".into());
    both.pmid = Some("999".into());
    let st = ingest(&mut s, "a", &[b, a, both]);
    assert_eq!((st.new, st.merged), (2, 1), "{st:?}");
    let paper = id_by_doi(&s, "10.1000/x.1");
    assert_eq!(
        links_of(&s, paper),
        vec![("registration".to_string(), reg_id)]
    );
    assert_eq!(links_of(&s, reg_id), vec![("report".to_string(), paper)]);
    let dangling: i64 = s
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM links WHERE from_id NOT IN (SELECT id FROM entries)
                 OR to_id NOT IN (SELECT id FROM entries)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(dangling, 0);
}

#[test]
fn merges_without_key_checks_leave_nothing_pointing_at_a_work_that_is_gone() {
    let (_d, mut s) = open();
    s.set_tagger(std::sync::Arc::new(crate::tag::Tagger::builtin()));
    s.set_key_checks(false).unwrap();
    let mut reg = entry("NCT00000009", "Registration");
    reg.nct_id = Some("NCT00000009".into());
    reg.categories = vec!["type:trial-registration".into()];
    ingest(&mut s, "b", &[reg]);
    // Two works, each with tags (the tagger's and a source's) and a link to the
    // registration, then a sighting that names both and folds one into the other.
    let text = "Esketamine nasal spray in treatment-resistant depression: a randomized trial.";
    let mut a = entry("a1", text);
    a.doi = Some("10.1000/x.1".into());
    a.categories = vec!["nct:NCT00000009".into(), "type:preprint".into()];
    let mut b = entry("b1", text);
    b.pmid = Some("999".into());
    b.categories = vec!["nct:NCT00000009".into(), "type:preprint".into()];
    ingest(&mut s, "a", &[a]);
    ingest(&mut s, "c", &[b]);
    let tagged: i64 = s
        .connection()
        .query_row("SELECT COUNT(*) FROM entries WHERE tags != ''", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(tagged, 3, "every work has tags before the merge");
    let tags_by_pmid = |s: &Store| -> String {
        s.connection()
            .query_row("SELECT tags FROM entries WHERE pmid = '999'", [], |r| {
                r.get(0)
            })
            .unwrap()
    };
    let folded = tags_by_pmid(&s);
    let mut both = entry("c1", text);
    both.doi = Some("10.1000/x.1".into());
    both.pmid = Some("999".into());
    assert_eq!(ingest(&mut s, "c", &[both]).merged, 1);
    assert_eq!(s.count_entries().unwrap(), 2);
    let c = s.connection();
    // (table, rowid: none for tables without one, parent table)
    let broken: Vec<(String, Option<i64>, String)> = c
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(broken, vec![], "rows pointing at a work that is gone");
    let self_links: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM links WHERE from_id = to_id",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(self_links, 0);
    let paper = id_by_doi(&s, "10.1000/x.1");
    assert_eq!(links_of(&s, paper).len(), 1, "{:?}", links_of(&s, paper));
    // The folded work's tags came along: the same text, so the same tags, and the
    // source's type tag with the category as its evidence.
    let kept = s.show(paper).unwrap().unwrap().evidence;
    let folded = super::tagging::decode(&folded);
    assert!(!folded.is_empty());
    for e in &folded {
        assert!(
            kept.iter().any(|k| k.tag == e.tag),
            "{} lost: {kept:?}",
            e.tag
        );
    }
    let preprint = kept.iter().find(|k| k.tag == "type:preprint").unwrap();
    assert_eq!(
        (
            preprint.field.as_deref(),
            preprint.phrase.as_deref(),
            preprint.span
        ),
        (Some("source"), Some("type:preprint"), None)
    );
}

#[test]
fn a_new_entry_is_classified_from_what_its_stored_work_will_hold() {
    // The parsing threads classify entries (TagInputs::of_entry) and the writer stores
    // that verdict for a new work, whose own fields would be classified when retagged.
    let (_d, mut s) = open();
    let mut e = entry("t1", "  Esketamine in TRD \n");
    e.summary = Some("\n Adults with treatment-resistant depression. ".into());
    e.mesh = vec!["Ketamine".into()];
    e.categories = vec!["type:preprint".into(), "keyword".into()];
    e.publication_types = vec!["Randomized Controlled Trial".into()];
    ingest(&mut s, "a", std::slice::from_ref(&e));
    let id: i64 = s
        .connection()
        .query_row("SELECT id FROM entries", [], |r| r.get(0))
        .unwrap();
    let stored = super::ingest::load(s.connection(), id).unwrap();
    assert!(super::ingest::TagInputs::of_entry(&e) == stored.tag_inputs());
}

#[test]
fn backfill_pages_commit_with_their_resume_token_and_clear_when_done() {
    let (_d, mut s) = open();
    let (from, to) = (
        chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2020, 12, 31).unwrap(),
    );
    assert_eq!(s.backfill("a").unwrap(), None);
    s.backfill_begin("a", from, to).unwrap();
    assert_eq!(s.backfill("a").unwrap().unwrap().resume, None);
    let st = s
        .backfill_page(
            "a",
            &BackfillPage {
                entries: vec![entry("1", "x")],
                filtered_out: 2,
                resume: Some("tok-1".into()),
                ..Default::default()
            },
            Utc::now(),
        )
        .unwrap();
    assert_eq!((st.new, st.filtered_out), (1, 2));
    let b = s.backfill("a").unwrap().unwrap();
    assert_eq!(
        (b.from, b.to, b.resume.as_deref()),
        (from, to, Some("tok-1"))
    );
    s.backfill_page(
        "a",
        &BackfillPage {
            entries: vec![entry("2", "y")],
            ..Default::default()
        },
        Utc::now(),
    )
    .unwrap();
    assert_eq!(s.backfill("a").unwrap(), None, "done: nothing to resume");
    let row = s.feed("a").unwrap().unwrap();
    assert_eq!((row.entries, row.filtered_out), (2, 2));
}

#[test]
fn only_a_change_to_indexed_text_is_logged_for_the_search_index() {
    let (_d, mut s) = open();
    let last_logged = |s: &Store| -> i64 {
        s.conn
            .query_row("SELECT coalesce(max(seq), 0) FROM fts_log", [], |r| {
                r.get(0)
            })
            .unwrap()
    };
    let mut a = entry("1", "Esketamine in TRD");
    a.doi = Some("10.1/x".into());
    a.summary = Some("A structured abstract.".into());
    ingest(&mut s, "a", &[a]);
    let before = last_logged(&s);
    // Another feed's sighting adds a PMID and a shorter blurb: the work is written
    // back, its indexed text the same.
    let mut b = entry("2", "Esketamine in TRD, again");
    b.doi = Some("10.1/x".into());
    b.pmid = Some("5".into());
    b.summary = Some("Blurb.".into());
    assert_eq!(ingest(&mut s, "b", &[b]).merged, 1);
    assert_eq!(last_logged(&s), before, "nothing indexed changed");
    // A fuller abstract is indexed text.
    let mut c = entry("3", "Esketamine in TRD, once more");
    c.doi = Some("10.1/x".into());
    c.summary = Some("A structured abstract, longer: BACKGROUND and METHODS.".into());
    ingest(&mut s, "c", &[c]);
    assert!(last_logged(&s) > before, "the new abstract is logged");
    assert_eq!(s.search("methods", &Filters::default()).unwrap().len(), 1);
    assert_index_sound(&s);
}

#[test]
fn a_merge_writes_back_only_the_columns_it_changed() {
    let (_d, mut s) = open();
    // Which columns each UPDATE names: an `UPDATE OF` trigger fires for a column
    // named in the SET list, changed or not.
    let columns = [
        "doi",
        "pmid",
        "pmcid",
        "nct_id",
        "title",
        "abstract",
        "authors",
        "journal",
        "link",
        "published_at",
        "updated_at",
        "first_seen_at",
        "sort_at",
        "categories",
        "mesh",
        "publication_types",
    ];
    let mut sql = String::from("CREATE TEMP TABLE named (col TEXT);");
    for c in columns {
        sql.push_str(&format!(
            "CREATE TEMP TRIGGER named_{c} AFTER UPDATE OF {c} ON main.entries
             BEGIN INSERT INTO named VALUES ('{c}'); END;"
        ));
    }
    s.conn.execute_batch(&sql).unwrap();
    let named = |s: &Store| -> Vec<String> {
        let v = s
            .conn
            .prepare("SELECT col FROM named ORDER BY col")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        s.conn.execute("DELETE FROM named", []).unwrap();
        v
    };
    let mut a = entry("1", "Esketamine in TRD");
    a.doi = Some("10.1/x".into());
    a.summary = Some("A structured abstract.".into());
    a.categories = vec!["depression".into()];
    ingest(&mut s, "a", &[a]);
    assert_eq!(named(&s), Vec::<String>::new());
    // Another feed adds a PMID and nothing else the work lacks.
    let mut b = entry("2", "Esketamine in TRD, again");
    b.doi = Some("10.1/x".into());
    b.pmid = Some("5".into());
    b.categories = vec!["depression".into()];
    assert_eq!(ingest(&mut s, "b", &[b]).merged, 1);
    assert_eq!(named(&s), ["pmid"]);
    // A third adds a fuller abstract and a category.
    let mut c = entry("3", "Esketamine in TRD, once more");
    c.doi = Some("10.1/x".into());
    c.summary = Some("A structured abstract, longer: BACKGROUND and METHODS.".into());
    c.categories = vec!["ketamine".into()];
    ingest(&mut s, "c", &[c]);
    assert_eq!(named(&s), ["abstract", "categories"]);
    let f = super::ingest::load(&s.conn, 1).unwrap();
    assert_eq!(
        (f.pmid.as_deref(), f.categories.len(), f.abstract_.len()),
        (Some("5"), 2, 54)
    );
}

#[test]
fn the_search_index_follows_updates_and_merges() {
    let (_d, mut s) = open();
    let mut a = entry("1", "Zebrafish placeholder");
    a.doi = Some("10.1/z".into());
    ingest(&mut s, "a", &[a.clone()]);
    assert_eq!(s.search("zebrafish", &Filters::default()).unwrap().len(), 1);
    // Same sighting, new abstract: the index sees it.
    a.summary = Some("A longer abstract about axolotl regeneration.".into());
    ingest(&mut s, "a", &[a]);
    assert_eq!(s.search("axolotl", &Filters::default()).unwrap().len(), 1);
    // A second work, then a sighting that merges the two: one hit, not two.
    let mut b = entry("2", "Zebrafish again");
    b.pmid = Some("77".into());
    ingest(&mut s, "b", &[b]);
    assert_eq!(s.search("zebrafish", &Filters::default()).unwrap().len(), 2);
    let mut both = entry("3", "Zebrafish merged");
    both.doi = Some("10.1/z".into());
    both.pmid = Some("77".into());
    ingest(&mut s, "c", &[both]);
    let hits = s.search("zebrafish", &Filters::default()).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(
        s.index_state().unwrap().waiting,
        0,
        "every write leaves the index complete"
    );
    assert_index_sound(&s);
}

#[test]
fn ingest_tags_works_with_evidence_and_retag_follows_the_rules() {
    let (_d, mut s) = open();
    let tagger = std::sync::Arc::new(crate::tag::Tagger::builtin());
    s.set_tagger(tagger.clone());
    let mut e = entry(
        "1",
        "Esketamine nasal spray for treatment-resistant depression",
    );
    e.summary = Some(
        "Adults with treatment-resistant depression were randomized to esketamine or placebo."
            .into(),
    );
    let mut other = entry("2", "Propofol sedation in colonoscopy");
    other.summary = Some("Patients received propofol for sedation.".into());
    ingest(&mut s, "a", &[e, other]);
    let rows = s.list(&Filters::default()).unwrap();
    let tagged = rows
        .iter()
        .find(|r| r.title.starts_with("Esketamine"))
        .unwrap();
    assert_eq!(&tagged.tags[..3], ["trd", "depression", "drug:esketamine"]);
    let untagged = rows
        .iter()
        .find(|r| r.title.starts_with("Propofol"))
        .unwrap();
    assert!(
        untagged
            .tags
            .iter()
            .all(|t| !crate::tag::CONDITION_TAGS.contains(&t.as_str()))
    );
    let d = s.show(tagged.id).unwrap().unwrap();
    let trd = d.evidence.iter().find(|e| e.tag == "trd").unwrap();
    assert_eq!(trd.field.as_deref(), Some("title"));
    assert_eq!(
        trd.phrase.as_deref(),
        Some("treatment-resistant depression")
    );
    let [a, b] = trd.span.unwrap();
    assert_eq!(
        &tagged.title[a as usize..b as usize],
        "treatment-resistant depression"
    );

    assert_eq!(
        s.retag(&tagger).unwrap().entries_changed,
        0,
        "same rules, same tags"
    );
    // A user rule that disables trd's phrases changes the tags on retag.
    let stricter = crate::tag::Tagger::builtin()
        .with_overrides(&disable_trd_rules(), "user.toml")
        .unwrap();
    let st = s.retag(&stricter).unwrap();
    assert_eq!((st.entries, st.entries_changed), (2, 1), "{st:?}");
    assert!(st.tags_removed >= 1);
    let after = s.show(tagged.id).unwrap().unwrap();
    assert!(
        !after.summary.tags.contains(&"trd".to_string()),
        "{:?}",
        after.summary.tags
    );
}

/// A rules file disabling every rule that can set `trd`, built from the shipped file so
/// the test does not hard-code rule ids.
fn disable_trd_rules() -> String {
    let shipped: toml::Value = toml::from_str(include_str!("../../feeds/conditions.toml")).unwrap();
    let mut out = String::new();
    for (table, rules) in shipped.as_table().unwrap() {
        let Some(list) = rules.as_array() else {
            continue;
        };
        for r in list {
            let sets_trd = r.get("tag").and_then(|t| t.as_str()) == Some("trd")
                || r.get("tags")
                    .and_then(|t| t.as_array())
                    .is_some_and(|a| a.iter().any(|t| t.as_str() == Some("trd")));
            if let (true, Some(id)) = (sets_trd, r.get("id").and_then(|i| i.as_str())) {
                out.push_str(&format!("[[{table}]]\nid = \"{id}\"\ndisabled = true\n"));
            }
        }
    }
    assert!(!out.is_empty(), "found no trd rules to disable");
    out
}

#[test]
fn verdicts_computed_off_the_writer_give_the_same_tags_as_the_store() {
    let tagger = std::sync::Arc::new(crate::tag::Tagger::builtin());
    let mut entries = vec![
        entry(
            "1",
            "  Esketamine nasal spray for treatment-resistant depression ",
        ),
        entry("2", "Ketamine for PTSD in veterans: a randomized trial"),
        entry("3", "Same work as 1 by PMID"),
    ];
    entries[0].summary = Some("Adults with TRD were randomized to esketamine.".into());
    entries[0].doi = Some("10.1/a".into());
    entries[1].summary = Some(
        "Veterans with post-traumatic stress disorder (PTSD) received ketamine infusions.".into(),
    );
    entries[1].categories = vec!["condition:PTSD".into(), "ketamine".into()];
    // The third sighting bridges into the first work within the same ingest.
    entries[2].doi = Some("10.1/a".into());
    entries[2].summary = Some(
        "Anxiety was measured as an outcome in adults with anxious depression given ketamine."
            .into(),
    );
    // Verdicts for every entry, none prepared, or prepared without verdicts (the
    // pipeline's entries that most likely join another's work): the same tags.
    let tags_of = |verdicts: Option<bool>| {
        let (_d, mut s) = open();
        s.set_tagger(tagger.clone());
        let prepared: Vec<_> = match verdicts {
            Some(true) => entries
                .iter()
                .map(|e| Prepared::with_verdict(e, crate::store::classify_entry(&tagger, e)))
                .collect(),
            Some(false) => entries.iter().map(Prepared::without_verdict).collect(),
            None => Vec::new(),
        };
        let now = Utc::now();
        s.record_run(
            "a",
            &RunOutcome::Parsed {
                prepared,
                links: Vec::new(),
                info: info(),
                entries: entries.clone(),
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
        )
        .unwrap();
        let ids: Vec<i64> = s
            .list(&Filters::default())
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        ids.into_iter()
            .map(|id| {
                let d = s.show(id).unwrap().unwrap();
                let ev: Vec<_> = d
                    .evidence
                    .iter()
                    .map(|e| (e.tag.clone(), e.field.clone(), e.phrase.clone(), e.span))
                    .collect();
                (d.summary.title, ev)
            })
            .collect::<Vec<_>>()
    };
    let with = tags_of(Some(true));
    assert_eq!(with, tags_of(None));
    assert_eq!(with, tags_of(Some(false)));
    assert_eq!(with.len(), 2, "the bridged sighting merged: {with:?}");
    assert!(
        with.iter().any(|(_, ev)| ev.iter().any(|e| e.0 == "ptsd")),
        "{with:?}"
    );
}

#[test]
fn search_ranks_the_newest_window_and_filters_before_windowing() {
    let (_d, mut s) = open();
    // The oldest entry is the best match (the word in its title) and the only one
    // from feed "b"; RANK_WINDOW newer entries mention the word once in the abstract.
    let mut best = entry("old", "Zebrafish ketamine zebrafish");
    best.summary = Some("zebrafish".into());
    ingest(&mut s, "b", &[best]);
    let newer: Vec<RawEntry> = (0..read::RANK_WINDOW + 5)
        .map(|i| {
            let mut e = entry(&format!("n{i}"), &format!("Study {i} of infusions"));
            e.summary = Some("A zebrafish model among many other words here".into());
            e
        })
        .collect();
    ingest(&mut s, "a", &newer);
    let limited = |source: Option<&str>| Filters {
        limit: Some(5),
        source: source.map(str::to_owned),
        ..Default::default()
    };
    let top = s.search("zebrafish", &limited(None)).unwrap();
    assert_eq!(top.len(), 5);
    assert!(
        top.iter()
            .all(|h| h.title != "Zebrafish ketamine zebrafish")
    );
    // Filters choose the candidates, so an old match is still found through them.
    let from_b = s.search("zebrafish", &limited(Some("b"))).unwrap();
    assert_eq!(from_b.len(), 1);
    assert_eq!(from_b[0].title, "Zebrafish ketamine zebrafish");
    // Without a limit every match is ranked, and the title match comes first.
    let all = s.search("zebrafish", &Filters::default()).unwrap();
    assert_eq!(all.len(), read::RANK_WINDOW + 6);
    assert_eq!(all[0].title, "Zebrafish ketamine zebrafish");
}

#[test]
fn search_prefers_title_matches_then_newer_entries() {
    let (_d, mut s) = open();
    let mut in_abstract = entry("x1", "Infusion outcomes");
    in_abstract.summary = Some("Esketamine was given.".into());
    let in_title = entry("x2", "Esketamine outcomes");
    let mut newer_twin = entry("x3", "Esketamine outcomes");
    newer_twin.published = Some(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap());
    ingest(&mut s, "a", &[in_title, in_abstract, newer_twin]);
    let hits = s.search("esketamine", &Filters::default()).unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h.link.as_deref().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "https://example.org/x3",
            "https://example.org/x2",
            "https://example.org/x1"
        ]
    );
}

#[test]
fn deferred_indexing_is_searchable_after_a_flush() {
    let (_d, mut s) = open();
    s.set_index_batch(1_000);
    ingest(&mut s, "a", &[entry("d1", "Deferred axolotl study")]);
    assert!(s.search("axolotl", &Filters::default()).unwrap().is_empty());
    assert_eq!(s.list(&Filters::default()).unwrap().len(), 1);
    s.flush_index().unwrap();
    assert_eq!(s.search("axolotl", &Filters::default()).unwrap().len(), 1);
    // What a killed pass left waiting survives in the queue for the next writer.
    s.set_index_batch(1_000);
    ingest(&mut s, "a", &[entry("d2", "Second axolotl study")]);
    let path = s.path().to_path_buf();
    drop(s);
    let mut s = Store::open(&path).unwrap();
    assert_eq!(s.search("axolotl", &Filters::default()).unwrap().len(), 1);
    ingest(&mut s, "b", &[entry("d3", "Unrelated")]);
    assert_eq!(s.search("axolotl", &Filters::default()).unwrap().len(), 2);
}

#[test]
fn a_full_batch_is_indexed_by_the_write_that_fills_it() {
    let (_d, mut s) = open();
    s.set_index_batch(3);
    let found = |s: &Store| s.search("axolotl", &Filters::default()).unwrap().len();
    ingest(
        &mut s,
        "a",
        &[entry("b1", "Axolotl one"), entry("b2", "Axolotl two")],
    );
    assert_eq!(found(&s), 0, "two of three wait");
    // Bookkeeping writes change rows without queueing any: still two waiting.
    ingest(&mut s, "a", &[entry("b1", "Axolotl one")]);
    assert_eq!(found(&s), 0);
    ingest(&mut s, "b", &[entry("b3", "Axolotl three")]);
    assert_eq!(found(&s), 3);
}

#[test]
fn the_deferred_index_follows_updates_and_merges_made_before_and_after_a_flush() {
    let (_d, mut s) = open();
    s.set_index_batch(1_000);
    let with = |guid: &str, doi: Option<&str>, pmid: Option<&str>, abstract_: &str| {
        let mut e = entry(guid, "Gecko infusion trial");
        e.doi = doi.map(str::to_owned);
        e.pmid = pmid.map(str::to_owned);
        e.summary = Some(abstract_.into());
        e
    };
    // Inserted, then given a longer abstract, before anything was indexed.
    ingest(&mut s, "a", &[with("g1", Some("10.1/g"), None, "short")]);
    ingest(
        &mut s,
        "b",
        &[with(
            "g2",
            Some("10.1/g"),
            None,
            "a longer salamander abstract",
        )],
    );
    // Two works that a later sighting turns out to be one, one of them indexed first.
    ingest(&mut s, "a", &[with("h1", Some("10.1/h"), None, "newt")]);
    s.flush_index().unwrap();
    ingest(&mut s, "b", &[with("h2", None, Some("777"), "newt")]);
    ingest(
        &mut s,
        "c",
        &[with(
            "h3",
            Some("10.1/h"),
            Some("777"),
            "newt and a much longer axolotl abstract",
        )],
    );
    s.flush_index().unwrap();
    let ids = |q: &str| -> Vec<i64> {
        s.search(q, &Filters::default())
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect()
    };
    assert_eq!(ids("salamander").len(), 1);
    assert!(ids("short").is_empty());
    assert_eq!(ids("axolotl").len(), 1);
    assert_eq!(ids("newt"), ids("axolotl"));
    assert_eq!(ids("gecko").len(), 2);
    assert_eq!(s.index_state().unwrap().waiting, 0);
    assert_index_sound(&s);
}

#[test]
fn reused_ids_and_entries_changed_before_indexing_are_indexed_once_with_their_last_text() {
    let (_d, mut s) = open();
    s.set_index_batch(1_000);
    let with = |guid: &str, title: &str, doi: Option<&str>, pmid: Option<&str>| {
        let mut e = entry(guid, title);
        e.doi = doi.map(str::to_owned);
        e.pmid = pmid.map(str::to_owned);
        e
    };
    let ids_of = |s: &Store, q: &str| -> Vec<i64> {
        let mut ids: Vec<i64> = s
            .search(q, &Filters::default())
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect();
        ids.sort_unstable();
        ids
    };
    // Indexed: work 1 (by DOI) and work 2 (by PMID), the highest id.
    ingest(&mut s, "a", &[with("a1", "Axolotl", Some("10.1/a"), None)]);
    ingest(&mut s, "b", &[with("b1", "Bullfrog", None, Some("11"))]);
    s.flush_index().unwrap();
    // A sighting with both identifiers folds work 2 into work 1, which frees the
    // highest id, at or below the mark: the next new work takes it again.
    ingest(
        &mut s,
        "c",
        &[with("c1", "Axolotl", Some("10.1/a"), Some("11"))],
    );
    s.flush_index().unwrap();
    ingest(&mut s, "a", &[with("a2", "Caecilian", None, None)]);
    let reused = s
        .connection()
        .query_row(
            "SELECT id FROM entries WHERE title = 'Caecilian'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    assert_eq!(reused, 2, "the rowid was reused");
    // New works past the mark: one changed and one folded away before indexing, and
    // the folded one's id taken again.
    ingest(&mut s, "a", &[with("a3", "Dormouse", Some("10.1/d"), None)]);
    let mut longer = with("b3", "Dormouse", Some("10.1/d"), None);
    longer.summary = Some("An abstract about the echidna".into());
    ingest(&mut s, "b", &[longer]);
    ingest(&mut s, "b", &[with("b4", "Ferret", None, Some("44"))]);
    ingest(
        &mut s,
        "c",
        &[with("c4", "Ferret", Some("10.1/f"), Some("44"))],
    );
    ingest(&mut s, "c", &[with("c5", "Gecko", None, None)]);
    s.flush_index().unwrap();

    assert_eq!(ids_of(&s, "axolotl"), vec![1]);
    assert!(
        ids_of(&s, "bullfrog").is_empty(),
        "the folded work left the index"
    );
    assert_eq!(ids_of(&s, "caecilian"), vec![2]);
    assert_eq!(ids_of(&s, "dormouse").len(), 1);
    assert_eq!(
        ids_of(&s, "echidna"),
        ids_of(&s, "dormouse"),
        "its last text"
    );
    assert_eq!(ids_of(&s, "ferret").len(), 1);
    assert_eq!(ids_of(&s, "gecko").len(), 1);
    assert_eq!(s.count_entries().unwrap(), 5);
    assert_eq!(s.index_state().unwrap().waiting, 0);
    assert_index_sound(&s);
}

/// FTS5's own check of the index file attached to `s`, and that it holds exactly the
/// entries there are.
pub(super) fn assert_index_sound(s: &Store) {
    s.index_state().unwrap();
    s.connection()
        .execute(
            "INSERT INTO search.entries_fts (entries_fts, rank) VALUES ('integrity-check', 0)",
            [],
        )
        .unwrap();
    let (held, entries, stray): (i64, i64, i64) = s
        .connection()
        .query_row(
            "SELECT (SELECT count(*) FROM search.entries_fts_docsize),
                    (SELECT count(*) FROM entries),
                    (SELECT count(*) FROM search.entries_fts_docsize
                     WHERE id NOT IN (SELECT id FROM entries))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((held, stray), (entries, 0), "one index row per entry");
}

#[test]
fn prefix_search_finds_every_term_with_the_prefix_however_many() {
    let (_d, mut s) = open();
    let mut words: Vec<String> = ["glutamate", "Glutamatergic", "glutamine", "glutam"]
        .map(String::from)
        .to_vec();
    // More terms than a prefix is expanded to: FTS5's own prefix matching answers.
    words.extend((0..20).map(|i| format!("zonk{i}")));
    let mut entries: Vec<RawEntry> = words
        .iter()
        .enumerate()
        .map(|(i, w)| entry(&format!("p{i}"), &format!("A study of {w} levels")))
        .collect();
    entries.push(entry("other", "Gluten and glutton are not matches"));
    ingest(&mut s, "a", &entries);
    fn titles_of(s: &Store, q: &str, limit: Option<usize>) -> Vec<String> {
        let f = Filters {
            limit,
            ..Default::default()
        };
        let mut t: Vec<String> = s
            .search(q, &f)
            .unwrap()
            .into_iter()
            .map(|h| h.title)
            .collect();
        t.sort();
        t
    }
    let titles = |q: &str, limit: Option<usize>| titles_of(&s, q, limit);
    for limit in [None, Some(20)] {
        assert_eq!(
            titles("glutam*", limit),
            [
                "A study of Glutamatergic levels",
                "A study of glutam levels",
                "A study of glutamate levels",
                "A study of glutamine levels",
            ]
        );
        assert_eq!(titles("zonk*", limit).len(), 20);
        assert_eq!(titles("study NOT glutam*", limit).len(), 20);
        assert_eq!(titles("glutamat* OR glutt*", limit).len(), 3);
        assert!(titles("glutz*", limit).is_empty());
    }
    // An entry removed from the index is not found through its old terms.
    s.connection()
        .execute("DELETE FROM entries WHERE title LIKE '%glutamine%'", [])
        .unwrap();
    s.flush_index().unwrap();
    assert_eq!(titles_of(&s, "glutam*", None).len(), 3);
}

#[test]
fn a_merge_that_adds_an_abstract_retags_the_work_and_a_bare_repeat_leaves_it() {
    let (_d, mut s) = open();
    s.set_tagger(std::sync::Arc::new(crate::tag::Tagger::builtin()));
    let with_doi = |guid: &str, title: &str, summary: Option<&str>| {
        let mut e = entry(guid, title);
        e.doi = Some("10.1000/merge-retag".into());
        e.summary = summary.map(str::to_owned);
        e
    };
    ingest(
        &mut s,
        "a",
        &[with_doi("t1", "Ketamine infusion outcomes", None)],
    );
    let tags = |s: &Store| s.list(&Filters::default()).unwrap()[0].tags.clone();
    assert!(!tags(&s).contains(&"ptsd".to_string()), "{:?}", tags(&s));
    // The journal's version brings the abstract: the merged work is tagged from it.
    let st = ingest(
        &mut s,
        "b",
        &[with_doi(
            "t2",
            "Ketamine infusion outcomes",
            Some("Veterans with chronic PTSD received ketamine infusions."),
        )],
    );
    assert_eq!(st.merged, 1);
    let merged = tags(&s);
    assert!(merged.contains(&"ptsd".to_string()), "{merged:?}");
    // A third sighting that adds nothing keeps the tags and their evidence.
    let before = s
        .show(s.list(&Filters::default()).unwrap()[0].id)
        .unwrap()
        .unwrap();
    ingest(
        &mut s,
        "c",
        &[with_doi("t3", "Ketamine infusion outcomes", None)],
    );
    let after = s.show(before.summary.id).unwrap().unwrap();
    assert_eq!(after.summary.tags, before.summary.tags);
    assert_eq!(after.evidence.len(), before.evidence.len());
    assert_eq!(after.seen_in.len(), 3);
}

#[test]
fn a_merge_retags_only_when_what_the_tagger_reads_changed() {
    let (_d, mut s) = open();
    s.set_tagger(std::sync::Arc::new(crate::tag::Tagger::builtin()));
    let sighting = |guid: &str, journal: Option<&str>, summary: &str| {
        let mut e = entry(
            guid,
            "Esketamine nasal spray for treatment-resistant depression",
        );
        e.doi = Some("10.1000/retag-inputs".into());
        e.journal = journal.map(str::to_owned);
        e.summary = Some(summary.into());
        e
    };
    let short = "Adults were randomized to esketamine.";
    ingest(&mut s, "a", &[sighting("t1", None, short)]);
    let tags = |s: &Store| s.list(&Filters::default()).unwrap()[0].tags.clone();
    assert!(tags(&s).contains(&"trd".to_string()), "{:?}", tags(&s));
    // Rules that could no longer set `trd`: only a retag would drop it.
    s.set_tagger(std::sync::Arc::new(
        crate::tag::Tagger::builtin()
            .with_overrides(&disable_trd_rules(), "user.toml")
            .unwrap(),
    ));
    // A sighting that only adds the journal's name: the tagger would read the same.
    let st = ingest(
        &mut s,
        "b",
        &[sighting("t2", Some("JAMA Psychiatry"), short)],
    );
    assert_eq!(st.merged, 1);
    assert_eq!(
        s.list(&Filters::default()).unwrap()[0].journal.as_deref(),
        Some("JAMA Psychiatry")
    );
    assert!(tags(&s).contains(&"trd".to_string()), "{:?}", tags(&s));
    // A fuller abstract changes the tagger's input: the work is retagged.
    let long = "Adults with major depression were randomized to esketamine or placebo.";
    ingest(&mut s, "c", &[sighting("t3", None, long)]);
    assert!(!tags(&s).contains(&"trd".to_string()), "{:?}", tags(&s));
}

#[test]
fn group_commit_shares_one_transaction_and_a_failed_write_rolls_back_alone() {
    let (_d, mut s) = open();
    s.set_group_commit(true).unwrap();
    ingest(&mut s, "a", &[entry("g1", "First")]);
    assert!(
        s.ingest_entries("nope", info(), vec![entry("g2", "Second")], Vec::new())
            .is_err()
    );
    ingest(&mut s, "b", &[entry("g3", "Third")]);
    let other = Store::open(s.path()).unwrap();
    assert_eq!(
        other.count_entries().unwrap(),
        0,
        "visible only once committed"
    );
    // A write that panics midway rolls back what it did, and only that.
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = s.write(|tx| {
            tx.execute(
                "INSERT INTO entries (title, first_seen_at, sort_at) VALUES ('Half', 0, 0)",
                [],
            )?;
            panic!("a bug in a write");
            #[allow(unreachable_code)]
            Ok(())
        });
    }));
    assert!(panicked.is_err());
    assert!(!s.group_due());
    assert_eq!(s.commit_group().unwrap(), 2);
    let titles: Vec<String> = other
        .list(&Filters::default())
        .unwrap()
        .into_iter()
        .map(|e| e.title)
        .collect();
    assert_eq!(titles.len(), 2);
    assert!(titles.contains(&"First".to_string()) && titles.contains(&"Third".to_string()));
    assert_eq!(s.commit_group().unwrap(), 0, "nothing left open");
    // Closing the store commits what is open; turning grouping off does too.
    ingest(&mut s, "a", &[entry("g4", "Fourth")]);
    s.set_group_commit(false).unwrap();
    assert_eq!(other.count_entries().unwrap(), 3);
    s.set_group_commit(true).unwrap();
    ingest(&mut s, "a", &[entry("g5", "Fifth")]);
    drop(s);
    assert_eq!(other.count_entries().unwrap(), 4);
}

#[test]
fn identifier_lookups_use_the_partial_indexes() {
    let (_d, s) = open();
    for (sql, index) in [
        ("SELECT id FROM entries WHERE doi = ?1", "entries_doi"),
        ("SELECT id FROM entries WHERE pmid = ?1", "entries_pmid"),
        ("SELECT id FROM entries WHERE pmcid = ?1", "entries_pmcid"),
        (
            "SELECT id FROM entries WHERE nct_id = ?1 AND doi IS NULL AND pmid IS NULL AND pmcid IS NULL",
            "entries_nct",
        ),
        (
            "SELECT p.id, j.id FROM doi_links d
             JOIN entries p ON p.doi = d.from_doi JOIN entries j ON j.doi = d.to_doi
             WHERE d.from_doi = ?1 AND d.rel = 'published-as'",
            "entries_doi",
        ),
    ] {
        let plan: Vec<String> = s
            .connection()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map(["x"], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter().any(|step| step.contains(index)),
            "{sql}: {plan:?}"
        );
    }
}

#[test]
fn an_expanded_prefix_ranks_its_spellings_as_one_word() {
    let (_d, mut s) = open();
    // The rare spelling is the oldest entry; the others are newer. Counted as one
    // word, every entry holds it once, so the tie goes to the newest, and the rare
    // spelling earns no bonus for being rare.
    let mut entries = vec![entry("r", "Glutamatergic signalling in mood")];
    for i in 0..4 {
        let mut e = entry(&format!("c{i}"), "Glutamate signalling in mood");
        e.published = Some(Utc.with_ymd_and_hms(2025, 1, 1 + i, 0, 0, 0).unwrap());
        entries.push(e);
    }
    ingest(&mut s, "a", &entries);
    let hits = s.search("glutam*", &Filters::default()).unwrap();
    assert_eq!(hits.len(), 5);
    assert_eq!(hits[0].link.as_deref(), Some("https://example.org/c3"));
    assert_eq!(hits[4].title, "Glutamatergic signalling in mood");
}

#[test]
fn a_works_tags_keep_the_first_row_of_each_in_display_order_and_read_back_whole() {
    use super::tagging::{TagRef, decode, encode, names};
    let row = |tag, field, phrase, span| TagRef {
        tag,
        field,
        phrase,
        span,
    };
    let text = encode([
        row(
            "type:rct",
            Some("publication_types"),
            Some("RCT"),
            Some([0, 3]),
        ),
        row(
            "drug:ketamine",
            Some("title"),
            Some("ketamine"),
            Some([10, 18]),
        ),
        row(
            "depression",
            Some("abstract"),
            Some("MADRS\tscore\nfell"),
            Some([4, 9]),
        ),
        row("trd", Some("title"), Some("TRD"), Some([0, 3])),
        // A repeat: the first row of a tag stands, as the table's INSERT OR IGNORE did.
        row("trd", Some("abstract"), Some("again"), Some([1, 2])),
        row("type:preprint", Some("source"), Some("type:preprint"), None),
        row("user-tag", None, None, None),
    ]);
    assert_eq!(
        names(&text).collect::<Vec<_>>(),
        [
            "trd",
            "depression",
            "user-tag",
            "drug:ketamine",
            "type:preprint",
            "type:rct"
        ]
    );
    let back = decode(&text);
    assert_eq!(back.len(), 6);
    assert_eq!(
        (
            back[0].field.as_deref(),
            back[0].phrase.as_deref(),
            back[0].span
        ),
        (Some("title"), Some("TRD"), Some([0, 3]))
    );
    // Tabs and line breaks would split the stored line: they become spaces.
    assert_eq!(back[1].phrase.as_deref(), Some("MADRS score fell"));
    assert_eq!(
        (
            back[2].field.as_deref(),
            back[2].phrase.as_deref(),
            back[2].span
        ),
        (None, None, None)
    );
    assert_eq!(back[4].span, None);
    assert_eq!(back[5].span, Some([0, 3]));
    // Written again from what was read, the text is the same.
    assert_eq!(encode(back.iter().map(TagRef::of)), text);
    assert!(decode("").is_empty() && names("").next().is_none());
}

#[test]
fn migrating_to_v11_moves_every_tag_row_into_its_works_row_in_display_order() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("k.db");
    {
        let c = Connection::open(&path).unwrap();
        for (_, sql) in &MIGRATIONS[..10] {
            c.execute_batch(sql).unwrap();
        }
        c.pragma_update(None, "user_version", 10).unwrap();
        c.execute_batch(
            "INSERT INTO entries (id, title, first_seen_at, sort_at) VALUES
                 (1, 'one', 0, 0), (2, 'two', 0, 0), (3, 'untagged', 0, 0);
             INSERT INTO tags (entry_id, tag, field, phrase, span_start, span_end) VALUES
                 (1, 'drug:ketamine', 'title', 'ketamine', 0, 8),
                 (1, 'ptsd', 'abstract', 'post' || char(9) || 'traumatic', 10, 24),
                 (1, 'trd', 'title', 'TRD', 9, 12),
                 (1, 'type:preprint', 'source', 'type:preprint', NULL, NULL),
                 (2, 'ocd', NULL, NULL, NULL, NULL);",
        )
        .unwrap();
    }
    let s = Store::open(&path).unwrap();
    let evidence = |id| s.show(id).unwrap().unwrap().evidence;
    let one = evidence(1);
    let tags: Vec<&str> = one.iter().map(|e| e.tag.as_str()).collect();
    assert_eq!(tags, ["trd", "ptsd", "drug:ketamine", "type:preprint"]);
    assert_eq!(
        (
            one[1].field.as_deref(),
            one[1].phrase.as_deref(),
            one[1].span
        ),
        (Some("abstract"), Some("post traumatic"), Some([10, 24]))
    );
    assert_eq!(
        (one[3].field.as_deref(), one[3].span),
        (Some("source"), None)
    );
    let two = evidence(2);
    assert_eq!(two.len(), 1);
    assert_eq!(
        (two[0].tag.as_str(), two[0].field.as_deref()),
        ("ocd", None)
    );
    assert!(evidence(3).is_empty());
    // What the column holds is exactly what ingest would have written.
    let stored = super::tagging::stored(s.connection(), 1).unwrap();
    assert_eq!(
        super::tagging::encode(one.iter().map(super::tagging::TagRef::of)),
        stored
    );
    let gone: bool = s
        .connection()
        .query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'tags')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(gone, "the tags table is dropped");
    // Migrations keep SQLite's undo copies on disk (see `migrate`); queries, in memory.
    let temp_store: i64 = s
        .connection()
        .pragma_query_value(None, "temp_store", |r| r.get(0))
        .unwrap();
    assert_eq!(temp_store, 2, "temp_store is MEMORY again");
    let f = Filters {
        tags: vec!["ptsd".into()],
        ..Filters::default()
    };
    let listed: Vec<i64> = s.list(&f).unwrap().iter().map(|e| e.id).collect();
    assert_eq!(listed, [1]);
}
