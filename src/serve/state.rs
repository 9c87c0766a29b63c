//! What `serve` keeps between requests: the data's version (SQLite's `data_version` of
//! the database and its search index, watched on connections of its own), the
//! validators of each document at that version, and the counts behind the home page,
//! so that a poll of unchanged data costs a lookup instead of a render.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};

use crate::store::{Counts, Store};

/// Documents whose validators are remembered at once; past this the memory starts over
/// (any query string makes a new key, so it must not grow without bound).
const MAX_REMEMBERED: usize = 1024;

/// Counts from an older version are reused while younger than this many times what
/// computing them took: on a large database that the daemon writes every few seconds,
/// counting every work on each change would keep a core busy.
const COUNTS_REUSE_FACTOR: u32 = 20;

/// What a conditional request is decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// Quoted, as sent.
    pub etag: String,
    pub last_modified: Option<DateTime<Utc>>,
}

/// Shared by every connection of one `serve`.
pub struct State {
    db: PathBuf,
    watch: Mutex<Watch>,
    remembered: Mutex<HashMap<String, (u64, Validators)>>,
    counts: Mutex<Option<CachedCounts>>,
    entries: Mutex<Option<(u64, i64)>>,
    renders: AtomicU64,
}

struct CachedCounts {
    version: u64,
    counts: Arc<Counts>,
    done: Instant,
    cost: Duration,
}

impl State {
    pub fn new(db: PathBuf) -> State {
        State {
            watch: Mutex::new(Watch::default()),
            remembered: Mutex::new(HashMap::new()),
            counts: Mutex::new(None),
            entries: Mutex::new(None),
            renders: AtomicU64::new(0),
            db,
        }
    }

    pub fn db(&self) -> &Path {
        &self.db
    }

    /// A number that changes whenever the database or its search index may have
    /// changed since the last call (a commit by any other connection, or the file
    /// replaced). It starts at 1 and only grows.
    pub fn version(&self) -> u64 {
        lock(&self.watch).check(&self.db)
    }

    /// The validators of `key` if they were computed at `version`.
    pub fn remembered(&self, key: &str, version: u64) -> Option<Validators> {
        lock(&self.remembered)
            .get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, val)| val.clone())
    }

    pub fn remember(&self, key: String, version: u64, validators: Validators) {
        let mut map = lock(&self.remembered);
        if map.len() >= MAX_REMEMBERED && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, (version, validators));
    }

    /// Counts over every work, for the home page: computed once per `version` (or
    /// reused for a while when they are costly, see [`COUNTS_REUSE_FACTOR`]).
    pub fn counts(&self, store: &Store, version: u64) -> crate::store::Result<Arc<Counts>> {
        // Held while counting, so concurrent requests wait for one count instead of
        // each scanning the table.
        let mut cached = lock(&self.counts);
        if let Some(c) = cached.as_ref()
            && (c.version == version || c.done.elapsed() < c.cost * COUNTS_REUSE_FACTOR)
        {
            return Ok(c.counts.clone());
        }
        let start = Instant::now();
        let counts = Arc::new(store.counts(&crate::store::Filters::default())?);
        *cached = Some(CachedCounts {
            version,
            counts: counts.clone(),
            done: Instant::now(),
            cost: start.elapsed(),
        });
        Ok(counts)
    }

    /// The number of works, for `/healthz`, counted once per `version`.
    pub fn entry_count(&self, store: &Store, version: u64) -> crate::store::Result<i64> {
        let mut cached = lock(&self.entries);
        match *cached {
            Some((v, n)) if v == version => Ok(n),
            _ => {
                let n = store.count_entries()?;
                *cached = Some((version, n));
                Ok(n)
            }
        }
    }

    /// Counts one document body built (a page or feed rendered).
    pub fn rendered(&self) {
        self.renders.fetch_add(1, Ordering::Relaxed);
    }

    /// How many document bodies were built so far.
    pub fn renders(&self) -> u64 {
        self.renders.load(Ordering::Relaxed)
    }
}

/// A panic elsewhere while holding one of these locks leaves data that is still whole.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Default)]
struct Watch {
    main: Option<Watched>,
    index: Option<Watched>,
    version: u64,
}

/// A read-only connection kept only to ask SQLite whether the file changed.
struct Watched {
    conn: Connection,
    /// (device, inode): a database replaced by another file needs a new connection.
    file: (u64, u64),
    data_version: i64,
}

impl Watch {
    fn check(&mut self, db: &Path) -> u64 {
        let index = crate::store::index_path(db);
        let main = changed(&mut self.main, db);
        let index = changed(&mut self.index, &index);
        if main || index || self.version == 0 {
            self.version += 1;
        }
        self.version
    }
}

/// Whether the file at `path` changed since `watched` last looked (a file that cannot
/// be opened has "changed" each time, so nothing is ever answered from memory for it).
fn changed(watched: &mut Option<Watched>, path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return watched.take().is_some();
    };
    let file = (meta.dev(), meta.ino());
    if let Some(w) = watched.as_mut().filter(|w| w.file == file) {
        match data_version(&w.conn) {
            Ok(v) if v == w.data_version => return false,
            Ok(v) => {
                w.data_version = v;
                return true;
            }
            Err(_) => {}
        }
    }
    *watched = open(path, file);
    true
}

fn open(path: &Path, file: (u64, u64)) -> Option<Watched> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).ok()?;
    let data_version = data_version(&conn).ok()?;
    Some(Watched {
        conn,
        file,
        data_version,
    })
}

fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_moves_on_commits_by_others_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("v.db");
        let w = Connection::open(&db).unwrap();
        w.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x)")
            .unwrap();
        let state = State::new(db.clone());
        let v1 = state.version();
        assert_eq!(state.version(), v1, "nothing changed");
        w.execute("INSERT INTO t VALUES (1)", []).unwrap();
        let v2 = state.version();
        assert!(v2 > v1);
        assert_eq!(state.version(), v2);
        // A new file in its place is a change too.
        drop(w);
        std::fs::remove_file(&db).unwrap();
        let _ = std::fs::remove_file(dir.path().join("v.db-wal"));
        let _ = std::fs::remove_file(dir.path().join("v.db-shm"));
        Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        assert!(state.version() > v2);
    }

    #[test]
    fn remembered_validators_are_per_version_and_bounded() {
        let state = State::new(PathBuf::from("/nonexistent"));
        let v = Validators {
            etag: "\"a\"".into(),
            last_modified: None,
        };
        state.remember("k".into(), 3, v.clone());
        assert_eq!(state.remembered("k", 3), Some(v.clone()));
        assert_eq!(state.remembered("k", 4), None);
        for i in 0..MAX_REMEMBERED + 10 {
            state.remember(format!("k{i}"), 3, v.clone());
        }
        assert!(lock(&state.remembered).len() <= MAX_REMEMBERED);
    }
}
