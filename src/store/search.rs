//! The full-text index's own database file (`<database>.search`): attaching it to a
//! connection, checking that it belongs to the database beside it, bringing it up to
//! date from the change log (`fts_log`), and the thread that does that while the
//! writer goes on storing.
//!
//! Why a file of its own: SQLite lets one connection write a file at a time, and
//! indexing was a third of the writer's work in a large pass, with nothing stored
//! meanwhile. Why it stays correct:
//! - Every change to an entry's indexed text appends the entry's id to `fts_log` in
//!   the transaction that makes the change, so the log is exactly as durable as the
//!   entries are.
//! - A step reads a slice of the log and the entries' text from one snapshot, writes
//!   the index rows, and records the slice's last `seq` (the mark) in the index file,
//!   all in one transaction of the index file. Reapplying a slice is harmless, so
//!   whatever a crash interrupts is simply done again.
//! - Log rows are deleted only at or below the mark, never the last one (so no `seq`
//!   is handed out twice), and only by [`Index::trim_log`]. So the log holds every
//!   `seq` from the mark + 1 on.
//! - An index file that is missing, built for another database, ahead of this one (a
//!   database restored from a copy) or behind the log's start (an index file restored
//!   from a copy, or steps a power cut took back) is emptied and rebuilt from
//!   `entries`.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// The schema name the index file is attached under.
pub(super) const SCHEMA: &str = "search";

/// Log rows (or entries, while rebuilding) indexed per transaction. FTS5 keeps a
/// transaction's new postings in memory (8 MB, then it writes a segment); this bounds
/// how long a step holds its snapshot of the database and how much a crash redoes.
pub(super) const STEP_ROWS: usize = 20_000;

/// The index thread waits for this many changes before indexing them, and a drain
/// (the end of a pass) indexes whatever waits, alone on a core while the pass waits:
/// small steps shorten that wait, and with [`AUTOMERGE`] they cost no more CPU
/// (docs/performance.md).
const THREAD_MIN_ROWS: u64 = 6_000;

/// How many segments of one size FTS5 lets pile up before merging them (its default
/// is 4): less merging during a pass, and searches as fast (docs/performance.md).
const AUTOMERGE: i64 = 8;

/// How often the idle index thread looks for work nobody told it about: a database
/// being rebuilt, or changes written by another process.
const THREAD_IDLE: Duration = Duration::from_secs(2);

/// The index thread checkpoints its log when idle, or once it has indexed this many
/// rows since the last checkpoint (a few hundred MB of log) if it never is. A
/// checkpoint ends in two syncs, which while the writer's own checkpoints sync the
/// database took up to half a second each: not something a pass should wait for.
const CHECKPOINT_ROWS: u64 = 200_000;

/// `<database>.search`, beside the database.
pub fn index_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".search");
    PathBuf::from(p)
}

/// Where the index stands against the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexState {
    /// Being rebuilt from scratch: searches see only part of the database.
    pub rebuilding: bool,
    /// About how many changes (and, while rebuilding, entries) wait to be indexed.
    pub waiting: u64,
}

/// Attaches the index file to `conn` as [`SCHEMA`], creating it if need be, and resets
/// it for a rebuild if it does not belong to this database (see the module notes).
/// Read-only connections attach an existing file as it is, and nothing when there is
/// none (a search then reports the index missing).
pub(super) fn attach(conn: &Connection, db: &Path, read_only: bool) -> rusqlite::Result<()> {
    let path = index_path(db);
    if read_only && !path.is_file() {
        return Ok(());
    }
    let name = path.to_str().ok_or_else(|| {
        rusqlite::Error::InvalidPath(path.clone()) // ATTACH takes the name as text.
    })?;
    let attach = || conn.execute(&format!("ATTACH DATABASE ?1 AS {SCHEMA}"), [name]);
    if read_only {
        return attach().map(drop);
    }
    match attach().and_then(|_| set_up(conn)) {
        Err(e) if is_damaged(&e) => {
            // Derived data: a damaged index file is replaced, not repaired.
            tracing::warn!(
                "{}: {e}; rebuilding the search index from the database",
                path.display()
            );
            // Attached or not, depending on where it failed.
            let _ = conn.execute(&format!("DETACH DATABASE {SCHEMA}"), []);
            remove_with_logs(&path).map_err(rusqlite::Error::InvalidPath)?;
            attach()?;
            set_up(conn)
        }
        r => r,
    }
}

/// Deletes the database file at `p` with its write-ahead log and shared memory;
/// on failure, returns the file it could not delete.
pub(super) fn remove_with_logs(p: &Path) -> Result<(), PathBuf> {
    for suffix in ["", "-wal", "-shm"] {
        let mut f = p.as_os_str().to_owned();
        f.push(suffix);
        match std::fs::remove_file(&f) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(f.into()),
            _ => {}
        }
    }
    Ok(())
}

fn is_damaged(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt))
}

/// The attached index file in WAL mode, with the schema, belonging to this database.
fn set_up(conn: &Connection) -> rusqlite::Result<()> {
    // NORMAL, as for the database: a commit is not synced until the next checkpoint,
    // so a power cut can take the last steps back. The log rows they covered may be
    // trimmed by then; `fits` sees the gap and the index is rebuilt.
    conn.pragma_update(Some(SCHEMA), "synchronous", "NORMAL")?;
    if !fits(conn)? {
        // Only now: every search attaches the file, and the mode, once set, stays.
        conn.pragma_update_and_check(Some(SCHEMA), "journal_mode", "WAL", |r| {
            r.get::<_, String>(0)
        })?;
        // Checked again under the index file's write lock: another process may have
        // created or reset it since.
        let tx = conn.unchecked_transaction()?;
        claim(&tx)?;
        if !fits(&tx)? {
            reset(&tx)?;
        }
        tx.commit()?;
    }
    Ok(())
}

/// Whether the attached index file has the schema and belongs to this database.
fn fits(conn: &Connection) -> rusqlite::Result<bool> {
    let made: bool = conn.query_row(
        &format!("SELECT EXISTS (SELECT 1 FROM {SCHEMA}.sqlite_master WHERE name = 'meta')"),
        [],
        |r| r.get(0),
    )?;
    if !made {
        return Ok(false);
    }
    // One statement: every search runs this. The log holds every `seq` above the mark,
    // from mark + 1 on. A mark past its end means the database went back in time
    // (restored from a copy); a gap after the mark, that the index did (an index file
    // restored from a copy, which misses changes trimmed from the log since). min and
    // max apart are one seek each; together SQLite would scan the log.
    let (same, mark, first, last): (bool, Option<i64>, Option<i64>, Option<i64>) = conn.query_row(
        &format!(
            "SELECT coalesce((SELECT value FROM {SCHEMA}.meta WHERE key = 'search_id')
                                 = (SELECT value FROM main.meta WHERE key = 'search_id'), 0),
                        (SELECT value FROM {SCHEMA}.meta WHERE key = 'mark'),
                        (SELECT min(seq) FROM main.fts_log),
                        (SELECT max(seq) FROM main.fts_log)"
        ),
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let Some(mark) = mark.filter(|_| same) else {
        return Ok(false);
    };
    Ok(mark <= last.unwrap_or(0) && first.is_none_or(|f| f <= mark + 1))
}

/// Takes the index file's write lock before anything else is read in the transaction:
/// a deferred transaction that read first and then wrote would fail at once, instead
/// of waiting, if another connection wrote in between.
fn claim(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {SCHEMA}.meta (key TEXT PRIMARY KEY, value ANY NOT NULL) WITHOUT ROWID;
         DELETE FROM {SCHEMA}.meta WHERE key = 'lock';"
    ))
}

/// Empties the index and sets it to be rebuilt from every entry of this database.
fn reset(conn: &Connection) -> rusqlite::Result<()> {
    let exists: bool = conn.query_row(
        &format!("SELECT EXISTS (SELECT 1 FROM {SCHEMA}.sqlite_master WHERE name = 'entries_fts')"),
        [],
        |r| r.get(0),
    )?;
    if exists {
        conn.execute(
            &format!("INSERT INTO {SCHEMA}.entries_fts (entries_fts) VALUES ('delete-all')"),
            [],
        )?;
    } else {
        // Contentless: the text lives in `entries` only; deletes by rowid. The
        // vocabulary table lists the indexed terms for prefix expansion (see
        // migrations/0005_fts_terms.sql); the larger in-memory buffer writes fewer
        // segments in a large pass (migrations/0006_queue_without_trigger.sql).
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE {SCHEMA}.entries_fts USING fts5(
                 title, abstract, authors, journal,
                 content = '', contentless_delete = 1,
                 tokenize = 'unicode61 remove_diacritics 2'
             );
             CREATE VIRTUAL TABLE {SCHEMA}.entries_terms USING fts5vocab(entries_fts, instance);
             INSERT INTO {SCHEMA}.entries_fts (entries_fts, rank) VALUES ('hashsize', 8388608);"
        ))?;
    }
    // Every entry is indexed by the rebuild, which reads their text as it goes, so the
    // log up to now is covered; later changes follow from the log. A database with no
    // entries yet (a new one) has nothing to rebuild.
    let (last, any): (i64, bool) = conn.query_row(
        "SELECT (SELECT coalesce(max(seq), 0) FROM main.fts_log),
                EXISTS (SELECT 1 FROM main.entries)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    conn.execute(
        &format!(
            "INSERT OR REPLACE INTO {SCHEMA}.meta (key, value) VALUES
                 ('search_id', (SELECT value FROM main.meta WHERE key = 'search_id')),
                 ('mark', ?1), ('rebuilt_to', 0), ('rebuilding', ?2)"
        ),
        rusqlite::params![last, any],
    )?;
    Ok(())
}

/// The index's own bookkeeping, and the ends of the log and of `entries` it is
/// measured against: one statement, as every search asks.
struct Meta {
    mark: i64,
    rebuilding: bool,
    rebuilt_to: i64,
    last_seq: i64,
    last_id: i64,
}

fn meta(conn: &Connection) -> rusqlite::Result<Meta> {
    conn.prepare_cached(&format!(
        "SELECT (SELECT value FROM {SCHEMA}.meta WHERE key = 'mark'),
                (SELECT value FROM {SCHEMA}.meta WHERE key = 'rebuilding'),
                (SELECT value FROM {SCHEMA}.meta WHERE key = 'rebuilt_to'),
                (SELECT coalesce(max(seq), 0) FROM main.fts_log),
                (SELECT coalesce(max(id), 0) FROM main.entries)"
    ))?
    .query_row([], |r| {
        Ok(Meta {
            mark: r.get(0)?,
            rebuilding: r.get(1)?,
            rebuilt_to: r.get(2)?,
            last_seq: r.get(3)?,
            last_id: r.get(4)?,
        })
    })
}

/// Where the index attached to `conn` stands.
pub(super) fn state(conn: &Connection) -> rusqlite::Result<IndexState> {
    let m = meta(conn)?;
    let behind = (m.last_seq - m.mark).max(0) as u64;
    let unbuilt = if m.rebuilding {
        (m.last_id - m.rebuilt_to).max(0) as u64
    } else {
        0
    };
    Ok(IndexState {
        rebuilding: m.rebuilding,
        waiting: behind + unbuilt,
    })
}

/// A connection that keeps the index up to date: the database as `main`, read only
/// in practice (but for trimming the log), and the index file attached for writing.
pub(super) struct Index {
    conn: Connection,
}

impl Index {
    pub(super) fn open(db: &Path) -> rusqlite::Result<Index> {
        // CREATE: an attached file is opened with the connection's flags.
        let conn = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.execute_batch("PRAGMA temp_store = MEMORY; PRAGMA main.synchronous = NORMAL;")?;
        attach(&conn, db, false)?;
        // Set once per index file (an index made before this setting gets it here),
        // only where it differs: a search that indexes a backlog opens one too.
        let automerge: Option<i64> = conn
            .query_row(
                &format!("SELECT v FROM {SCHEMA}.entries_fts_config WHERE k = 'automerge'"),
                [],
                |r| r.get(0),
            )
            .optional()?;
        if automerge != Some(AUTOMERGE) {
            conn.execute(
                &format!(
                    "INSERT INTO {SCHEMA}.entries_fts (entries_fts, rank) VALUES ('automerge', ?1)"
                ),
                [AUTOMERGE],
            )?;
        }
        Ok(Index { conn })
    }

    pub(super) fn state(&self) -> rusqlite::Result<IndexState> {
        state(&self.conn)
    }

    /// Indexes one slice of at most `rows` log rows (or entries, while rebuilding).
    /// Returns false when there was nothing to do.
    pub(super) fn step(&self, rows: usize) -> rusqlite::Result<bool> {
        let tx = self.conn.unchecked_transaction()?;
        claim(&tx)?;
        let m = meta(&tx)?;
        let set = |key: &str, value: i64| {
            tx.prepare_cached(&format!(
                "UPDATE {SCHEMA}.meta SET value = ?2 WHERE key = ?1"
            ))?
            .execute(rusqlite::params![key, value])
        };
        if m.rebuilding {
            let upto: Option<i64> = tx
                .prepare_cached(
                    "SELECT max(id) FROM (SELECT id FROM main.entries WHERE id > ?1 ORDER BY id LIMIT ?2)",
                )?
                .query_row(rusqlite::params![m.rebuilt_to, rows as i64], |r| r.get(0))?;
            match upto {
                None => {
                    set("rebuilding", 0)?;
                }
                Some(upto) => {
                    // The index is empty above `rebuilt_to`: nothing to delete first.
                    tx.prepare_cached(&format!(
                        "INSERT INTO {SCHEMA}.entries_fts (rowid, title, abstract, authors, journal)
                         SELECT id, title, abstract, authors, journal FROM main.entries
                         WHERE id > ?1 AND id <= ?2 ORDER BY id"
                    ))?
                    .execute([m.rebuilt_to, upto])?;
                    set("rebuilt_to", upto)?;
                }
            }
            tx.commit()?;
            return Ok(true);
        }
        let upto: Option<i64> = tx
            .prepare_cached(
                "SELECT max(seq) FROM (SELECT seq FROM main.fts_log WHERE seq > ?1 ORDER BY seq LIMIT ?2)",
            )?
            .query_row(rusqlite::params![m.mark, rows as i64], |r| r.get(0))?;
        let Some(upto) = upto else {
            return Ok(false);
        };
        // Only rows the index holds are deleted: deleting one it does not hold still
        // leaves a tombstone that every later merge carries, and most logged entries
        // are new. The docsize table has a row for each document the index holds.
        // Then each entry still there is indexed once, with its text as of now, in
        // rowid order: FTS5 writes out what it buffered whenever a rowid goes down.
        // (The IN list is walked in order, so nothing is sorted: a join on a DISTINCT
        // subquery sorted the rows, text and all, some 30 MB a step.)
        tx.prepare_cached(&format!(
            "DELETE FROM {SCHEMA}.entries_fts WHERE rowid IN (
                 SELECT id FROM {SCHEMA}.entries_fts_docsize WHERE id IN (
                     SELECT id FROM main.fts_log WHERE seq > ?1 AND seq <= ?2));"
        ))?
        .execute([m.mark, upto])?;
        tx.prepare_cached(&format!(
            "INSERT INTO {SCHEMA}.entries_fts (rowid, title, abstract, authors, journal)
             SELECT id, title, abstract, authors, journal FROM main.entries
             WHERE id IN (SELECT id FROM main.fts_log WHERE seq > ?1 AND seq <= ?2)
             ORDER BY id"
        ))?
        .execute([m.mark, upto])?;
        set("mark", upto)?;
        tx.commit()?;
        Ok(true)
    }

    /// Indexes everything that waits.
    pub(super) fn catch_up(&self) -> rusqlite::Result<()> {
        while self.step(STEP_ROWS)? {}
        Ok(())
    }

    /// Deletes the log rows the index has applied, but the last (see the module notes).
    pub(super) fn trim_log(&self) -> rusqlite::Result<usize> {
        let mark = meta(&self.conn)?.mark;
        self.conn
            .prepare_cached(
                "DELETE FROM main.fts_log WHERE seq <= ?1
                     AND seq < (SELECT max(seq) FROM main.fts_log)",
            )?
            .execute([mark])
    }

    /// [`Index::trim_log`] if the database's write lock is free now; otherwise later.
    /// The index thread must not queue behind the writer for it: a busy writer holds
    /// the lock nearly all the time, and the log rows do no harm meanwhile.
    fn try_trim_log(&self) {
        let trimmed = self
            .conn
            .busy_timeout(Duration::ZERO)
            .and_then(|()| self.trim_log());
        let _ = self.conn.busy_timeout(Duration::from_secs(30));
        match trimmed {
            Err(e) if !super::is_busy(&e) => tracing::warn!("trimming the search log: {e}"),
            _ => {}
        }
    }
}

enum Job {
    /// Changes were committed: index them if enough wait.
    Nudge,
    /// Index everything committed so far, then answer.
    Drain(SyncSender<rusqlite::Result<()>>),
}

/// The index thread of a process that writes a lot (a pass, the daemon). Dropping it
/// stops the thread; what it had not indexed waits in the log for the next writer.
pub struct Indexer {
    jobs: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Indexer {
    pub(super) fn spawn(db: &Path) -> rusqlite::Result<Indexer> {
        let index = Index::open(db)?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("ketlit-index".into())
            .spawn(move || run(&index, &queue))
            .map_err(|e| super::failure(format!("starting the search indexer: {e}")))?;
        Ok(Indexer {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Tells the thread that changes were committed.
    pub(super) fn nudge(&self) {
        if let Some(j) = &self.jobs {
            let _ = j.send(Job::Nudge);
        }
    }

    /// Waits until everything committed before the call is indexed.
    pub(super) fn drain(&self) -> rusqlite::Result<()> {
        let (done, answer) = mpsc::sync_channel(1);
        let gone = || super::failure("the search indexer has stopped".into());
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send(Job::Drain(done))
            .map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}

/// The index thread's loop. The log is trimmed when nothing else is going on: before
/// the first job (the writer has not started) and when idle, never in a drain, which
/// the end of a pass waits for.
fn run(index: &Index, queue: &mpsc::Receiver<Job>) {
    // SQLite checkpoints in the commit that grows the log past a limit, so a drain,
    // which the end of a pass waits for, could end in a checkpoint and its two syncs
    // (slow while the database's own checkpoints sync); and closing the last
    // connection checkpoints whatever is left. So a pass's checkpointer (see
    // `checkpoint`) checkpoints this file too, beside this thread; the thread itself
    // does so only when idle, or after many rows, for writers without one. What it
    // leaves in the log is checkpointed by the next connection.
    let set_up = index
        .conn
        .pragma_update(None, "wal_autocheckpoint", 0)
        .and_then(|()| {
            index
                .conn
                .set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
                .map(drop)
        });
    if let Err(e) = set_up {
        tracing::warn!("setting up the search indexer: {e}");
    }
    let checkpoint = || {
        let done = index.conn.query_row(
            &format!("PRAGMA {SCHEMA}.wal_checkpoint(PASSIVE)"),
            [],
            |_| Ok(()),
        );
        if let Err(e) = done {
            tracing::warn!("checkpointing the search index: {e}");
        }
    };
    // Rows indexed since the last checkpoint: some 1 KB of log each.
    let mut unsaved = 0u64;
    let work = |min: u64, unsaved: &mut u64| -> rusqlite::Result<()> {
        loop {
            let waiting = index.state()?.waiting;
            if waiting < min.max(1) || !index.step(STEP_ROWS)? {
                return Ok(());
            }
            *unsaved += waiting.min(STEP_ROWS as u64);
        }
    };
    index.try_trim_log();
    // Whether anything was written since the thread last tidied up (checkpoint, trim):
    // an idle daemon should not take the write lock every two seconds for nothing.
    let mut untidy = false;
    loop {
        let job = queue.recv_timeout(THREAD_IDLE);
        untidy |= job.is_ok();
        match job {
            Ok(Job::Nudge) => match work(THREAD_MIN_ROWS, &mut unsaved) {
                Ok(()) if unsaved >= CHECKPOINT_ROWS => {
                    checkpoint();
                    unsaved = 0;
                }
                Ok(()) => {}
                Err(e) => tracing::warn!("indexing for search: {e}"),
            },
            // Idle: whatever waits is indexed (the end of a rebuild, say).
            Err(RecvTimeoutError::Timeout) => match work(1, &mut unsaved) {
                Ok(()) if untidy || unsaved > 0 => {
                    checkpoint();
                    unsaved = 0;
                    index.try_trim_log();
                    untidy = false;
                }
                Ok(()) => {}
                Err(e) => tracing::warn!("indexing for search: {e}"),
            },
            Ok(Job::Drain(done)) => {
                let _ = done.send(work(1, &mut unsaved));
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
