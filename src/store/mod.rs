//! SQLite storage: opening with the right pragmas, embedded append-only migrations,
//! feed state, ingest with cross-feed merging, and the read queries.

mod checkpoint;
mod events;
mod export;
mod feeds;
mod heartbeat;
mod ingest;
mod rank;
mod read;
mod search;
mod tagging;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

pub use checkpoint::Checkpointer;
pub use events::{Change, EVENT_KINDS, STATUSES, StatusEvent, status_of};
pub use export::{Counts, KeyBasis, last_months};
pub use feeds::{Backfill, BackfillPage, FeedRow, FeedUpdate, REDIRECTS_TO_MOVE, RunOutcome};
pub use heartbeat::Heartbeat;
pub use ingest::{IngestStats, Prepared};
pub use read::{EntryDetail, EntrySummary, Evidence, Filters, Link, Sighting};
pub use search::{IndexState, index_path};
pub use tagging::{RetagStats, classify_entry};

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: {message}")]
    Other { path: String, message: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// An open database. One per thread; the daemon's writer and every CLI reader open their own.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Tags every work an ingest touches. Only writers need one (it takes ~50 ms to
    /// build), so readers open the store without.
    tagger: Option<std::sync::Arc<crate::tag::Tagger>>,
    /// Without an index thread, the changes this store commits are indexed for search
    /// once this many wait (1: after every write), on a connection of the store's own
    /// (see [`search`]). Indexing one large batch costs a fraction of indexing each
    /// feed's entries separately, as every batch writes FTS5 segments that later have
    /// to be merged.
    index_batch: usize,
    index: Option<search::Index>,
    /// Indexes on a thread of its own instead (see [`Store::spawn_indexer`]).
    indexer: Option<search::Indexer>,
    /// Opened read-only ([`Store::open_read_only`]): the index file is never created.
    read_only: bool,
    /// Whether the index file is attached to `conn` yet: only searches need it, and a
    /// writer's connection must not have it, as each write transaction would lock it.
    attached: std::cell::Cell<bool>,
    /// Whether writes share one transaction (see [`Store::set_group_commit`]), and the
    /// one open now.
    grouping: bool,
    group: Option<Group>,
}

/// A write transaction several writes share until [`Store::commit_group`].
struct Group {
    since: Instant,
    writes: usize,
}

/// A shared transaction is committed once it is this old or holds this many writes,
/// whatever else waits: it bounds what readers wait to see and what a crash takes.
const GROUP_MAX_AGE: Duration = Duration::from_millis(250);
const GROUP_MAX_WRITES: usize = 64;

/// The savepoint each write in a shared transaction runs under.
const WRITE_SAVEPOINT: &str = "ketlit_write";

/// The page size of a new database, in bytes (SQLite's default is 4096): a work's
/// row is some 2 KB, and larger pages mean far fewer pages written per pass
/// (docs/performance.md).
const PAGE_SIZE: i64 = 16384;

impl Store {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub fn open(path: &Path) -> Result<Store> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Other {
                path: dir.display().to_string(),
                message: format!("cannot create the database folder: {e}"),
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| StoreError::Sqlite {
                path: shown.clone(),
                source,
            })?;
        let mut store = Store::over(conn, path);
        store
            .configure()
            .and_then(|()| store.migrate())
            .and_then(|()| rank::register(&store.conn).map_err(|e| store.err(e)))
            .map_err(|e| match e {
                StoreError::Sqlite { source, .. } if is_not_a_db(&source) => StoreError::Other {
                    path: shown.clone(),
                    message: "not a ketlit database (file is not SQLite)".into(),
                },
                e => e,
            })?;
        Ok(store)
    }

    /// Turns on the query planner stability guarantee, for writers and readers alike.
    /// Without it SQLite marks a statement for re-planning whenever the plan looked at
    /// a bound value (`x = ?` outside an index, `LIMIT ?`), and rusqlite's cache clears
    /// bindings on every return, so each reuse of such a cached statement was parsed
    /// and planned again: 40% of a `list`, and a share of every ingest. Our plans never
    /// depend on the values.
    fn stable_plans(&self) -> rusqlite::Result<()> {
        self.conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map(drop)
    }

    /// A store over an open connection, with nothing set up.
    fn over(conn: Connection, path: &Path) -> Store {
        Store {
            conn,
            path: path.to_path_buf(),
            tagger: None,
            index_batch: 1,
            index: None,
            indexer: None,
            read_only: false,
            attached: std::cell::Cell::new(false),
            grouping: false,
            group: None,
        }
    }

    fn configure(&self) -> Result<()> {
        // temp_store = MEMORY (below) keeps statement journals off disk: every insert
        // that fires a trigger or may be ignored keeps one, and as a temporary file it
        // cost a write system call per page touched, a fifth of ingest.
        // Ingest alone cycles through some twenty statements; the default cache of 16
        // would re-prepare them on every entry.
        self.conn.set_prepared_statement_cache_capacity(64);
        self.stable_plans().map_err(|e| self.err(e))?;
        // The daemon writes while CLI readers run: WAL lets readers proceed during a
        // write, and the busy timeout covers the brief checkpoint/writer locks.
        self.conn
            .busy_timeout(Duration::from_secs(30))
            .map_err(|e| self.err(e))?;
        // Takes effect only in a new, empty file: the page size is fixed by the first
        // write (switching to WAL, below), and an existing database keeps its own.
        self.conn
            .pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(|e| self.err(e))?;
        // Switching a new database to WAL needs an exclusive lock and SQLite does not wait
        // for it, so two processes creating the database at once retry briefly.
        let mut tries = 0;
        loop {
            match self
                .conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            {
                Ok(_) => break,
                Err(e) if tries < 50 && is_busy(&e) => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(self.err(e)),
            }
        }
        self.conn
            .execute_batch(
                "PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA temp_store = MEMORY;",
            )
            .map_err(|e| self.err(e))
    }

    fn migrate(&mut self) -> Result<()> {
        let path = self.path.display().to_string();
        let known = MIGRATIONS.len() as i64;
        let other = |message: String| StoreError::Other {
            path: path.clone(),
            message,
        };
        let current: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| other(e.to_string()))?;
        if current == known {
            // The common case: readers must not queue for the write lock.
            return Ok(());
        }
        // A migration that rewrites every work (v11 fills a column) runs as one
        // statement in the migration's transaction, and SQLite keeps the statement's
        // undo journal, a copy of every page it changes, in memory under
        // `temp_store = MEMORY`: 1.3 GB for 1,000,000 works. On disk it costs no time.
        self.conn
            .pragma_update(None, "temp_store", "FILE")
            .map_err(|e| other(e.to_string()))?;
        let applied = self.apply_migrations(known, &other);
        let restored = self.conn.pragma_update(None, "temp_store", "MEMORY");
        applied?;
        restored.map_err(|e| other(e.to_string()))
    }

    /// Applies the migrations the database lacks, all in one transaction.
    fn apply_migrations(&mut self, known: i64, other: &dyn Fn(String) -> StoreError) -> Result<()> {
        // IMMEDIATE takes the write lock before reading the version again, so two
        // processes opening a new database at once (daemon and CLI) cannot both migrate.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| other(e.to_string()))?;
        let current: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| other(e.to_string()))?;
        if current > known {
            return Err(other(format!(
                "database schema version {current} is newer than this ketlit understands ({known}); upgrade ketlit"
            )));
        }
        // A daemon of an older ketlit keeps writing by the schema it opened: a
        // migration under it (v6 moved the search queueing into ingest, say) would
        // leave what it stores unsearchable. It has to stop first.
        if (1..known).contains(&current)
            && let Some(pid) = crate::lock::running_pid(&self.path)
                .filter(|pid| *pid != std::process::id().to_string())
        {
            return Err(other(format!(
                "a ketlit daemon (pid {pid}) from an older version is running on this database; stop it, then run this again to upgrade the database (schema {current} to {known})"
            )));
        }
        for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.execute_batch(sql)
                .and_then(|()| tx.pragma_update(None, "user_version", (i + 1) as i64))
                .map_err(|e| other(format!("migration {name} failed: {e}")))?;
        }
        tx.commit().map_err(|e| other(e.to_string()))
    }

    /// The schema version (number of migrations applied).
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Tags works as they are ingested from now on.
    pub fn set_tagger(&mut self, tagger: std::sync::Arc<crate::tag::Tagger>) {
        self.tagger = Some(tagger);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Raw access for tests and benchmarks.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Defers full-text indexing until `rows` changes wait (see `index_batch`); call
    /// [`Store::flush_index`] when the burst of writes ends.
    pub fn set_index_batch(&mut self, rows: usize) {
        self.index_batch = rows.max(1);
    }

    /// Group commit: with `on`, each write runs under a savepoint of one transaction
    /// that stays open for the writes after it, until [`Store::commit_group`] (or
    /// [`Store::group_due`] says it is time). A write that fails rolls back alone.
    /// Committing, and writing each changed page to the log, once for many feeds
    /// instead of once each was the largest cost of a pass after the writes
    /// themselves. Turning it off commits what is open.
    pub fn set_group_commit(&mut self, on: bool) -> Result<()> {
        if !on {
            self.commit_group()?;
        }
        self.grouping = on;
        Ok(())
    }

    /// Whether SQLite checks foreign keys on this connection (on by default). The
    /// pipeline's writer turns them off: ingest only ever points a row at a work or
    /// feed it has just found or written, and removes what pointed at a work it
    /// merges away itself, so the checks prove nothing there and cost CPU
    /// (docs/performance.md). Other connections keep them.
    pub fn set_key_checks(&mut self, on: bool) -> Result<()> {
        self.commit_group()?;
        self.conn
            .pragma_update(None, "foreign_keys", on)
            .map_err(|e| self.err(e))
    }

    /// Whether the open shared transaction should be committed now, whatever waits.
    pub fn group_due(&self) -> bool {
        self.group_due_in() == Some(Duration::ZERO)
    }

    /// Commits the open shared transaction if it is due. Returns how long until the
    /// one still open falls due, or `None` when none is.
    pub fn commit_if_due(&mut self) -> Result<Option<Duration>> {
        match self.group_due_in() {
            Some(left) if left.is_zero() => self.commit_group().map(|_| None),
            left => Ok(left),
        }
    }

    /// How long until the open shared transaction is due (zero: it is), or `None` when
    /// none is open.
    fn group_due_in(&self) -> Option<Duration> {
        self.group.as_ref().map(|g| {
            if g.writes >= GROUP_MAX_WRITES {
                Duration::ZERO
            } else {
                GROUP_MAX_AGE.saturating_sub(g.since.elapsed())
            }
        })
    }

    /// Commits the open shared transaction, if any. Returns how many writes it held.
    pub fn commit_group(&mut self) -> Result<usize> {
        let Some(group) = self.group.take() else {
            return Ok(0);
        };
        if self.conn.is_autocommit() {
            // SQLite rolled the transaction back itself (an I/O error, a full disk).
            return Err(self.lost_group(group.writes, "the transaction was rolled back"));
        }
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(self.lost_group(group.writes, &e.to_string()));
        }
        self.committed();
        Ok(group.writes)
    }

    fn lost_group(&self, writes: usize, why: &str) -> StoreError {
        StoreError::Other {
            path: self.path.display().to_string(),
            message: format!(
                "committing the last {writes} write(s) failed, none were saved: {why}"
            ),
        }
    }

    /// Moves WAL checkpoints off this connection onto a thread of their own, for as
    /// long as the returned [`Checkpointer`] lives (see [`checkpoint`]).
    pub fn spawn_checkpointer(&mut self) -> Result<Checkpointer> {
        let c = checkpoint::Checkpointer::spawn(&self.path).map_err(|e| self.err(e))?;
        let page_size: i64 = self
            .conn
            .pragma_query_value(None, "page_size", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        self.conn
            .pragma_update(
                None,
                "wal_autocheckpoint",
                checkpoint::writer_autocheckpoint(page_size),
            )
            .map_err(|e| self.err(e))?;
        Ok(c)
    }

    /// Indexes full-text search on a thread of its own from now on, while this store
    /// goes on writing (see [`search`]); [`Store::flush_index`] waits for it.
    pub fn spawn_indexer(&mut self) -> Result<()> {
        let indexer = search::Indexer::spawn(&self.path).map_err(|e| self.index_err(e))?;
        self.indexer = Some(indexer);
        Ok(())
    }

    /// Commits the shared transaction, if any, and brings the full-text index up to
    /// date with everything committed, however few changes wait.
    pub fn flush_index(&mut self) -> Result<()> {
        self.commit_group()?;
        let done = match &self.indexer {
            Some(ix) => ix.drain(),
            None => self
                .inline_index()
                .and_then(|ix| ix.catch_up().and_then(|()| ix.trim_log().map(drop))),
        };
        done.map_err(|e| self.index_err(e))
    }

    /// Small page caches, for a process that runs one query and exits: it reads each
    /// page once, and each cache page it first touches costs a page fault, dearer
    /// than the read (docs/performance.md).
    pub fn one_query(&self) -> Result<()> {
        self.attach_index()?;
        self.conn
            .execute_batch(&format!(
                "PRAGMA main.cache_size = -512; PRAGMA {}.cache_size = -128;",
                search::SCHEMA
            ))
            .map_err(|e| self.err(e))
    }

    /// Where the full-text index stands: being rebuilt, and how much waits.
    pub fn index_state(&self) -> Result<IndexState> {
        self.attach_index()?;
        search::state(&self.conn).map_err(|e| self.index_err(e))
    }

    /// After a commit: the changes it logged are indexed now, or by the index thread.
    /// The commit stands whatever happens here; what is not indexed waits in the log.
    fn committed(&mut self) {
        if let Some(ix) = &self.indexer {
            ix.nudge();
            return;
        }
        let batch = self.index_batch as u64;
        let done = self.inline_index().and_then(|ix| {
            if ix.state()?.waiting >= batch {
                ix.catch_up()?;
                ix.trim_log()?;
            }
            Ok(())
        });
        if let Err(e) = done {
            tracing::warn!("{}", self.index_err(e));
        }
    }

    fn inline_index(&mut self) -> rusqlite::Result<&search::Index> {
        if self.index.is_none() {
            self.index = Some(search::Index::open(&self.path)?);
        }
        Ok(self.index.as_ref().expect("just opened"))
    }

    /// Attaches the index file to this store's connection, once, for searching.
    fn attach_index(&self) -> Result<()> {
        if self.attached.get() {
            return Ok(());
        }
        let path = search::index_path(&self.path);
        let refuse = |message: &str| StoreError::Other {
            path: path.display().to_string(),
            message: message.into(),
        };
        if self.read_only && !path.is_file() {
            return Err(refuse(
                "no search index here yet (`ketlit fetch` or the daemon builds it)",
            ));
        }
        if !self.conn.is_autocommit() {
            // SQLite attaches files only between transactions.
            return Err(refuse(
                "cannot open the search index while a shared write is open",
            ));
        }
        search::attach(&self.conn, &self.path, self.read_only).map_err(|e| self.index_err(e))?;
        self.attached.set(true);
        Ok(())
    }

    fn index_err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: search::index_path(&self.path).display().to_string(),
            source,
        }
    }

    /// Runs `f` in one write transaction: committed if it succeeds, rolled back if not.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        if self.grouping {
            return self.write_in_group(f);
        }
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        // IMMEDIATE takes the write lock up front, waiting out other writers under the
        // busy timeout. A deferred transaction that reads first and then writes fails at
        // once with "database is locked" if another process committed in between.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let value = f(&tx).map_err(err)?;
        tx.commit().map_err(err)?;
        self.committed();
        Ok(value)
    }

    /// One write under its savepoint in the shared transaction, opened if need be.
    fn write_in_group<T>(
        &mut self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        if let Some(g) = self.group.take_if(|_| self.conn.is_autocommit()) {
            // SQLite ended the transaction on an error; what it held is gone.
            tracing::error!(
                "{}: the last {} write(s) were rolled back by an earlier error",
                self.path.display(),
                g.writes
            );
        }
        if self.group.is_none() {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| self.err(e))?;
            self.group = Some(Group {
                since: Instant::now(),
                writes: 0,
            });
        }
        let value = {
            let sp = Savepoint::begin(&self.conn).map_err(|e| self.err(e))?;
            f(&self.conn).and_then(|v| sp.release().map(|()| v))
        };
        let value = value.map_err(|e| self.err(e))?;
        if let Some(g) = &mut self.group {
            g.writes += 1;
        }
        Ok(value)
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.display().to_string(),
            source,
        }
    }
}

/// A write's savepoint in a shared transaction: released when the write succeeds,
/// rolled back (changing nothing else in the transaction) when it fails or panics.
struct Savepoint<'c> {
    conn: &'c Connection,
    released: bool,
}

impl<'c> Savepoint<'c> {
    fn begin(conn: &'c Connection) -> rusqlite::Result<Savepoint<'c>> {
        // Cached: parsing these two statements anew was a visible share of a pass.
        conn.prepare_cached(&format!("SAVEPOINT {WRITE_SAVEPOINT}"))?
            .execute([])?;
        Ok(Savepoint {
            conn,
            released: false,
        })
    }

    fn release(mut self) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached(&format!("RELEASE {WRITE_SAVEPOINT}"))?
            .execute([])?;
        self.released = true;
        Ok(())
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if !self.released
            && self
                .conn
                .execute_batch(&format!(
                    "ROLLBACK TO {WRITE_SAVEPOINT}; RELEASE {WRITE_SAVEPOINT}"
                ))
                .is_err()
        {
            // The write could not be undone alone, so nothing of the shared transaction
            // may be committed: the next write or commit reports the writes lost.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl Drop for Store {
    /// Commits the shared transaction: every write in it completed (a failed or
    /// panicking one rolled back its savepoint), so it holds only whole writes.
    fn drop(&mut self) {
        if let Err(e) = self.commit_group() {
            tracing::error!("{e}");
        }
    }
}

/// An error of ours in SQLite's clothes, for code whose other errors are SQLite's.
fn failure(message: String) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
        Some(message),
    )
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

fn is_not_a_db(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase)
}

#[cfg(test)]
mod tests;
