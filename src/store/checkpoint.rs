//! The WAL checkpointer: a thread with its own connection that copies committed pages
//! from the write-ahead log into the database file, so the writer never waits for it.
//!
//! SQLite checkpoints on the committing connection by default, and a checkpoint ends
//! in an fsync of the database file: in a cold pass the writer spent about a fifth of
//! its time blocked there. A PASSIVE checkpoint from another connection never blocks
//! the writer nor waits for it; the writer rewinds the log once it has been copied.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// How often the checkpointer looks at the log.
const INTERVAL: Duration = Duration::from_millis(250);

/// How soon it tries again when asked for a checkpoint that readers held back.
const CHASE: Duration = Duration::from_millis(5);

/// For at most about a second (a PASSIVE checkpoint that can copy nothing costs
/// some 25 µs).
const CHASE_TRIES: u32 = 200;

/// The writer still checkpoints by itself past this much log, in case the
/// checkpointer cannot keep up (a long-lived reader pinning the log, say). SQLite
/// counts it in pages, whose size depends on the database (see `PAGE_SIZE`).
const WRITER_AUTOCHECKPOINT_BYTES: i64 = 200 << 20;

/// [`WRITER_AUTOCHECKPOINT_BYTES`] in pages of `page_size` bytes.
pub(super) fn writer_autocheckpoint(page_size: i64) -> i64 {
    WRITER_AUTOCHECKPOINT_BYTES / page_size.max(512)
}

/// A running checkpointer; dropping it runs a last checkpoint and stops the thread.
pub struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Checkpoints the database at `path`, and its search index file if there is one
    /// (see `search`): the index thread leaves its log to this thread, so that the end
    /// of a pass never waits for one of its checkpoints.
    pub(super) fn spawn(path: &Path) -> rusqlite::Result<Checkpointer> {
        Checkpointer::every(path, INTERVAL)
    }

    /// [`Checkpointer::spawn`] looking at the log every `interval`.
    fn every(path: &Path, interval: Duration) -> rusqlite::Result<Checkpointer> {
        let open = |p: &Path| {
            Connection::open_with_flags(
                p,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
        };
        let mut conns = vec![open(path)?];
        let index = super::search::index_path(path);
        if index.is_file() {
            conns.push(open(&index)?);
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("ketlit-checkpoint".into())
            .spawn(move || {
                // Checkpoints every file; returns how many frames of the database's log
                // are now copied, or `None` when that log is copied whole. (The index
                // file's log does not count: its one writer is the index thread, which
                // at the end of a pass is busy writing it.)
                let checkpoint = || {
                    let mut left = None;
                    for (k, conn) in conns.iter().enumerate() {
                        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                        });
                        match done {
                            Ok((log, copied)) if k == 0 && copied < log => left = Some(copied),
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!("{}: checkpointing: {e}", conn.path().unwrap_or("?"))
                            }
                        }
                    }
                    left
                };
                // A message asks for a checkpoint now; the sender's drop says stop. Asked
                // when a burst of writes ends, the checkpointer keeps at it while a reader
                // on an older snapshot holds back the frames after it (the index thread
                // finishing a step begun before the last commit): they are copied as soon
                // as it lets go, beside the last index step, rather than by the last
                // checkpoint on the way out, alone. A try that copies nothing costs some
                // 25 µs and no sync. The chase ends when the log is copied whole, or when
                // a try copies part of what is left (readers come and go: another
                // process's; chasing them would sync the database every few ms), or
                // after about a second (a reader that stays).
                let mut chase: Option<(u32, i64)> = None;
                while let asked @ (Ok(()) | Err(RecvTimeoutError::Timeout)) =
                    stopped.recv_timeout(if chase.is_some() { CHASE } else { interval })
                {
                    let left = checkpoint();
                    chase = match (asked, left, chase.take()) {
                        (_, None, _) => None,
                        (Ok(()), Some(copied), _) => Some((CHASE_TRIES, copied)),
                        (Err(_), Some(copied), Some((tries, before)))
                            if tries > 1 && copied == before =>
                        {
                            Some((tries - 1, copied))
                        }
                        (Err(_), Some(_), _) => None,
                    };
                }
                checkpoint();
            })
            .map_err(|e| super::failure(format!("starting the checkpointer: {e}")))?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Checkpoints now rather than at the next tick: for when a burst of writes ends.
    pub fn nudge(&self) {
        if let Some(s) = &self.stop {
            // Only fails once the thread is gone, and then there is nothing to nudge.
            let _ = s.send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether every frame of the log is copied into the database, as the WAL index
    /// (`<db>-shm`) records it: `mxFrame` at byte 16 of its header, `nBackfill` at
    /// byte 96 (<https://www.sqlite.org/walformat.html>). Read from the file, since a
    /// checkpoint to find out would itself copy the frames.
    fn copied_whole(db: &Path) -> bool {
        let mut shm = db.as_os_str().to_owned();
        shm.push("-shm");
        let b = std::fs::read(shm).unwrap();
        let at = |i: usize| u32::from_ne_bytes(b[i..i + 4].try_into().unwrap());
        at(96) >= at(16)
    }

    /// A database in WAL mode that only its own writes checkpoint (none here), and a
    /// checkpointer on it that looks at the log once an hour: only being asked, and
    /// the chase after it, copy the log in these tests.
    fn set_up() -> (
        tempfile::TempDir,
        std::path::PathBuf,
        Connection,
        Checkpointer,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ketlit.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (x); INSERT INTO t VALUES (1);",
            )
            .unwrap();
        let c = Checkpointer::every(&path, Duration::from_secs(3600)).unwrap();
        (dir, path, writer, c)
    }

    /// A reader holding a snapshot of the database as it is now, until it commits.
    fn pinned(path: &Path) -> Connection {
        let r = Connection::open(path).unwrap();
        r.execute_batch("BEGIN").unwrap();
        let _: i64 = r
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        r
    }

    /// Frames a reader held back when the checkpointer was asked are copied once the
    /// reader lets go, without waiting for the next look at the log.
    #[test]
    fn asked_to_checkpoint_it_waits_out_a_reader_on_an_older_snapshot() {
        let (_dir, path, writer, c) = set_up();
        let reader = pinned(&path);
        writer
            .execute_batch(
                "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000)
                 INSERT INTO t SELECT x FROM n",
            )
            .unwrap();
        c.nudge();
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            !copied_whole(&path),
            "the reader's snapshot should hold back the last frames"
        );
        reader.execute_batch("COMMIT").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !copied_whole(&path) {
            assert!(
                std::time::Instant::now() < deadline,
                "the frames the reader held back were never copied"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Readers that come and go (another process's) end the chase: each try that copies
    /// something also syncs the database, and a daemon's readers would have it do so
    /// every few milliseconds.
    #[test]
    fn the_chase_ends_when_a_try_copies_only_part_of_what_is_left() {
        let (_dir, path, writer, c) = set_up();
        let pin = |n: i64| {
            writer.execute("INSERT INTO t VALUES (?1)", [n]).unwrap();
            pinned(&path)
        };
        let (older, newer) = (pin(2), pin(3));
        writer.execute("INSERT INTO t VALUES (4)", []).unwrap();
        c.nudge();
        std::thread::sleep(Duration::from_millis(500));
        // The next try copies up to the newer snapshot: part of what is left.
        older.execute_batch("COMMIT").unwrap();
        std::thread::sleep(Duration::from_millis(500));
        newer.execute_batch("COMMIT").unwrap();
        std::thread::sleep(Duration::from_millis(500));
        assert!(
            !copied_whole(&path),
            "the checkpointer chased readers that came and went"
        );
        drop(c);
        assert!(copied_whole(&path), "the last checkpoint copies the rest");
    }
}
