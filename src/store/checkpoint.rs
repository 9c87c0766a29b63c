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

/// The writer still checkpoints by itself past this many pages (~200 MB) of log, in
/// case the checkpointer cannot keep up (a long-lived reader pinning the log, say).
pub(super) const WRITER_AUTOCHECKPOINT: i64 = 50_000;

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
                let checkpoint = || {
                    for conn in &conns {
                        if let Err(e) =
                            conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                        {
                            tracing::warn!("{}: checkpointing: {e}", conn.path().unwrap_or("?"));
                        }
                    }
                };
                // A message asks for a checkpoint now; the sender's drop says stop.
                while let Ok(()) | Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    checkpoint();
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
