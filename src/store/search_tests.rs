//! The index file: rebuilt when missing, foreign or out of step with the database;
//! resumed after a crash; kept up to date by a thread of its own.

use super::*;
use crate::model::RawEntry;
use crate::store::tests::{assert_index_sound, entry, ingest, open};
use crate::store::{Filters, Store};

fn found(s: &Store, q: &str) -> usize {
    s.search(q, &Filters::default()).unwrap().len()
}

fn with_summary(guid: &str, title: &str, summary: &str) -> RawEntry {
    let mut e = entry(guid, title);
    e.summary = Some(summary.into());
    e
}

/// Entries 1, 2 and 3 of feed `a`, whose abstracts are "axolotl", "bullfrog" and
/// "caecilian".
fn ingest_three(s: &mut Store) {
    ingest(
        s,
        "a",
        &[
            with_summary("1", "First", "axolotl"),
            with_summary("2", "Second", "bullfrog"),
            with_summary("3", "Third", "caecilian"),
        ],
    );
}

/// A database holding `entries` (from feed `a`), closed, its index file deleted.
fn without_index(entries: &[RawEntry]) -> (tempfile::TempDir, std::path::PathBuf) {
    let (d, mut s) = open();
    ingest(&mut s, "a", entries);
    let db = s.path().to_path_buf();
    drop(s);
    remove_db(&index_path(&db));
    (d, db)
}

fn remove_db(p: &Path) {
    remove_with_logs(p).unwrap();
}

fn log_rows(s: &Store) -> i64 {
    s.connection()
        .query_row("SELECT count(*) FROM fts_log", [], |r| r.get(0))
        .unwrap()
}

const DONE: IndexState = IndexState {
    rebuilding: false,
    waiting: 0,
};

/// Opens `db` again, which must find its index file unfit and set it to be rebuilt;
/// once rebuilt, each word finds as many entries as given.
fn reopen_and_rebuild(db: &Path, expect: &[(&str, usize)]) {
    let mut s = Store::open(db).unwrap();
    assert!(s.index_state().unwrap().rebuilding);
    s.flush_index().unwrap();
    assert_eq!(s.index_state().unwrap(), DONE);
    for (word, n) in expect {
        assert_eq!(found(&s, word), *n, "{word}");
    }
    assert_index_sound(&s);
}

#[test]
fn a_missing_index_file_is_rebuilt_from_the_database() {
    let (_d, mut s) = open();
    ingest(
        &mut s,
        "a",
        &[entry("1", "Axolotl one"), entry("2", "Axolotl two")],
    );
    assert_eq!(found(&s, "axolotl"), 2);
    let db = s.path().to_path_buf();
    drop(s);
    remove_db(&index_path(&db));

    let mut s = Store::open(&db).unwrap();
    assert_eq!(
        s.index_state().unwrap(),
        IndexState {
            rebuilding: true,
            waiting: 2
        }
    );
    assert_eq!(found(&s, "axolotl"), 0, "nothing is indexed yet");
    s.flush_index().unwrap();
    assert_eq!(s.index_state().unwrap(), DONE);
    assert_eq!(found(&s, "axolotl"), 2);
    assert_index_sound(&s);
}

#[test]
fn changes_made_during_a_rebuild_end_up_in_the_index() {
    let (_d, mut s) = open();
    ingest_three(&mut s);
    let db = s.path().to_path_buf();
    drop(s);
    remove_db(&index_path(&db));

    let mut s = Store::open(&db).unwrap();
    s.set_index_batch(1_000);
    // Rebuilt as far as entry 2, then entry 1 (already rebuilt) and entry 3 (not
    // yet) change, and entry 4 arrives.
    let ix = Index::open(&db).unwrap();
    assert!(ix.step(2).unwrap());
    assert!(ix.state().unwrap().rebuilding);
    ingest(
        &mut s,
        "a",
        &[
            with_summary("1", "First", "dormouse, a longer abstract than before"),
            with_summary("3", "Third", "echidna, a longer abstract than before"),
            with_summary("4", "Fourth", "ferret"),
        ],
    );
    drop(ix);
    s.flush_index().unwrap();
    assert_eq!(s.index_state().unwrap(), DONE);
    for (word, n) in [
        ("axolotl", 0),
        ("dormouse", 1),
        ("bullfrog", 1),
        ("caecilian", 0),
        ("echidna", 1),
        ("ferret", 1),
    ] {
        assert_eq!(found(&s, word), n, "{word}");
    }
    assert_index_sound(&s);
}

#[test]
fn an_index_file_built_for_another_database_is_rebuilt() {
    let (_da, mut a) = open();
    ingest(&mut a, "a", &[entry("1", "Axolotl")]);
    let (_db, mut b) = open();
    ingest(&mut b, "a", &[entry("1", "Bullfrog")]);
    assert_eq!((found(&a, "axolotl"), found(&b, "bullfrog")), (1, 1));
    let (pa, pb) = (a.path().to_path_buf(), b.path().to_path_buf());
    drop((a, b));
    remove_db(&index_path(&pa));
    std::fs::copy(index_path(&pb), index_path(&pa)).unwrap();
    reopen_and_rebuild(&pa, &[("axolotl", 1), ("bullfrog", 0)]);
}

#[test]
fn a_database_restored_from_a_copy_rebuilds_an_index_that_is_ahead_of_it() {
    let (d, mut s) = open();
    ingest(&mut s, "a", &[entry("1", "Axolotl")]);
    let copy = d.path().join("copy.db");
    s.connection()
        .execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
        .unwrap();
    ingest(&mut s, "a", &[entry("2", "Bullfrog")]);
    assert_eq!(found(&s, "bullfrog"), 1);
    let db = s.path().to_path_buf();
    drop(s);
    remove_db(&db);
    std::fs::rename(&copy, &db).unwrap();
    reopen_and_rebuild(&db, &[("axolotl", 1), ("bullfrog", 0)]);
}

#[test]
fn an_index_file_restored_from_an_older_copy_is_rebuilt() {
    let (d, mut s) = open();
    ingest(&mut s, "a", &[with_summary("1", "First", "axolotl")]);
    assert_eq!(found(&s, "axolotl"), 1);
    let copy = d.path().join("copy.search");
    s.connection()
        .execute("VACUUM search INTO ?1", [copy.to_str().unwrap()])
        .unwrap();
    // Changes the old copy never saw, trimmed from the log once indexed.
    ingest(
        &mut s,
        "a",
        &[with_summary("1", "First", "bullfrog, a longer abstract")],
    );
    ingest(&mut s, "a", &[entry("2", "Caecilian")]);
    assert_eq!(log_rows(&s), 1);
    let db = s.path().to_path_buf();
    drop(s);
    remove_db(&index_path(&db));
    std::fs::rename(&copy, index_path(&db)).unwrap();
    reopen_and_rebuild(&db, &[("axolotl", 0), ("bullfrog", 1), ("caecilian", 1)]);
}

#[test]
fn a_step_done_again_or_a_trim_missed_after_a_crash_changes_nothing() {
    let (_d, mut s) = open();
    s.set_index_batch(1_000);
    ingest_three(&mut s);
    // A step commits, then the process dies before trimming the log.
    let ix = Index::open(s.path()).unwrap();
    assert!(ix.step(2).unwrap());
    drop(ix);
    let db = s.path().to_path_buf();
    drop(s);

    let mut s = Store::open(&db).unwrap();
    s.set_index_batch(1_000);
    assert_eq!(s.index_state().unwrap().waiting, 1);
    ingest(
        &mut s,
        "a",
        &[with_summary("1", "First", "dormouse, a longer abstract")],
    );
    s.flush_index().unwrap();
    assert_eq!(log_rows(&s), 1, "all but the last applied row trimmed");
    // The mark set back over rows the log still holds: applied twice, indexed once.
    ingest(
        &mut s,
        "a",
        &[with_summary("2", "Second", "echidna, a longer abstract")],
    );
    ingest(&mut s, "b", &[entry("4", "Ferret")]);
    let ix = Index::open(&db).unwrap();
    ix.step(1_000).unwrap();
    drop(ix);
    s.index_state().unwrap();
    s.connection()
        .execute(
            "UPDATE search.meta SET value = value - 2 WHERE key = 'mark'",
            [],
        )
        .unwrap();
    s.flush_index().unwrap();
    for (word, n) in [
        ("axolotl", 0),
        ("dormouse", 1),
        ("bullfrog", 0),
        ("echidna", 1),
        ("caecilian", 1),
        ("ferret", 1),
    ] {
        assert_eq!(found(&s, word), n, "{word}");
    }
    assert_eq!(s.index_state().unwrap(), DONE);
    assert_index_sound(&s);
}

#[test]
fn the_index_thread_indexes_what_a_grouped_writer_commits() {
    let (_d, mut s) = open();
    s.spawn_indexer().unwrap();
    // Searching attaches the index file, which SQLite does only between transactions.
    assert_eq!(s.index_state().unwrap(), DONE);
    s.set_group_commit(true).unwrap();
    ingest(
        &mut s,
        "a",
        &[entry("1", "Axolotl one"), entry("2", "Axolotl two")],
    );
    ingest(&mut s, "b", &[entry("3", "Axolotl three")]);
    assert_eq!(found(&s, "axolotl"), 0, "not committed yet");
    s.flush_index().unwrap();
    assert_eq!(found(&s, "axolotl"), 3);
    assert_eq!(s.index_state().unwrap(), DONE);
    assert_index_sound(&s);

    // Idle, the thread trims the log, and indexes what was committed without a drain.
    let until = |what: &str, done: &dyn Fn(&Store) -> bool, s: &Store| {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !done(s) {
            assert!(std::time::Instant::now() < deadline, "never {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    until("trimmed", &|s| log_rows(s) == 1, &s);
    ingest(&mut s, "c", &[entry("4", "Bullfrog")]);
    s.commit_group().unwrap();
    until("indexed", &|s| found(s, "bullfrog") == 1, &s);
    assert_index_sound(&s);
}

#[test]
fn a_damaged_index_file_is_replaced() {
    let (_d, db) = without_index(&[entry("1", "Axolotl")]);
    std::fs::write(index_path(&db), vec![0x5a; 8192]).unwrap();
    reopen_and_rebuild(&db, &[("axolotl", 1)]);
}

#[test]
fn a_read_only_search_without_an_index_file_says_so() {
    let (_d, db) = without_index(&[entry("1", "Axolotl")]);
    let r = Store::open_read_only(&db).unwrap();
    let e = r.search("axolotl", &Filters::default()).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "{}: no search index here yet",
            index_path(&db).display()
        )),
        "{e}"
    );
    assert_eq!(r.list(&Filters::default()).unwrap().len(), 1);
    assert!(!index_path(&db).exists(), "a reader never creates it");
}

/// FTS5's merge setting for the index (see `AUTOMERGE`), as the index file keeps it.
fn automerge(db: &Path) -> Option<i64> {
    let c = rusqlite::Connection::open(index_path(db)).unwrap();
    c.query_row(
        "SELECT v FROM entries_fts_config WHERE k = 'automerge'",
        [],
        |r| r.get(0),
    )
    .optional()
    .unwrap()
}

#[test]
fn an_index_writer_sets_the_merge_setting_on_new_and_older_index_files() {
    let (_d, mut s) = open();
    ingest_three(&mut s);
    s.flush_index().unwrap();
    let db = s.path().to_path_buf();
    drop(s);
    assert_eq!(automerge(&db), Some(AUTOMERGE));
    // An index file made before the setting has FTS5's default of 4.
    {
        let c = rusqlite::Connection::open(index_path(&db)).unwrap();
        c.execute(
            "INSERT INTO entries_fts (entries_fts, rank) VALUES ('automerge', 4)",
            [],
        )
        .unwrap();
    }
    assert_eq!(automerge(&db), Some(4));
    // Opening the index to write it sets it again, and searching still finds the words.
    drop(Index::open(&db).unwrap());
    assert_eq!(automerge(&db), Some(AUTOMERGE));
    let s = Store::open(&db).unwrap();
    assert_eq!(s.search("bullfrog", &Filters::default()).unwrap().len(), 1);
}
