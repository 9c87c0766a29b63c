//! The lock file beside the database (`ketlit.db.lock`): held by a running daemon
//! (or a `fetch`), read by anything that wants to know whether one runs.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another ketlit daemon (pid {pid}) is already running on {db}")]
    AlreadyRunning { pid: String, db: String },
    #[error("{path}: {message}")]
    Lock { path: String, message: String },
}

/// The lock file beside the database (`ketlit.db.lock`), holding the daemon's pid.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// Held for the daemon's lifetime: an exclusive OS lock on the lock file, released by
/// the OS even when the process is killed.
pub struct DaemonLock {
    _file: File,
}

impl DaemonLock {
    pub fn acquire(db: &Path) -> Result<DaemonLock, LockError> {
        let path = lock_path(db);
        let err = |e: std::io::Error| LockError::Lock {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(err)?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0).map_err(err)?;
                file.rewind().map_err(err)?;
                writeln!(file, "{}", std::process::id()).map_err(err)?;
                Ok(DaemonLock { _file: file })
            }
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                Err(LockError::AlreadyRunning {
                    pid: pid.trim().to_string(),
                    db: db.display().to_string(),
                })
            }
            Err(TryLockError::Error(e)) => Err(err(e)),
        }
    }
}

/// The pid of the daemon running on `db`, if one is.
pub fn running_pid(db: &Path) -> Option<String> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(lock_path(db))
        .ok()?;
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            None
        }
        Err(TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            Some(pid.trim().to_string())
        }
        Err(TryLockError::Error(_)) => None,
    }
}
