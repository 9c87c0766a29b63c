//! The pass's CPU-bound work (parsing documents, classifying entries) on a few threads
//! of lowered priority, so the single database writer, the pass's critical path, gets
//! a core whenever it can run.
//!
//! On two cores a pass keeps the writer, a parser, the HTTP runtime and the
//! checkpointer busy at once; at equal priority the scheduler left the writer waiting
//! for a core for about a seventh of the time it held the database. Parsing that
//! yields to the writer only runs later, while the writer catches up.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, mpsc};

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of worker threads taking jobs in order of arrival.
#[derive(Debug)]
pub struct CpuPool {
    jobs: Mutex<mpsc::Sender<Job>>,
}

/// A job that panicked (only a bug does), or a pool that could take no more jobs.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Crashed(String);

/// The nice value of the workers: the writer gets some nine tenths of a shared core.
#[cfg(target_os = "linux")]
const NICE: libc::c_int = 10;

impl CpuPool {
    /// `threads` workers (at least one). They exit once the pool is dropped and the
    /// jobs already queued are done.
    pub fn new(threads: usize) -> std::io::Result<CpuPool> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("ketlit-cpu-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        // The lock is released as soon as a job is taken.
                        let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(CpuPool {
            jobs: Mutex::new(tx),
        })
    }

    /// The pool for this machine: a worker per core. The writer still gets a core
    /// when it needs one, by priority; while it waits for work, every core parses.
    pub fn for_machine() -> std::io::Result<CpuPool> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        CpuPool::new(cores)
    }

    /// Runs `f` on a worker and waits for its result without blocking the runtime.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Crashed> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let result = std::panic::catch_unwind(AssertUnwindSafe(f))
                .map_err(|p| Crashed(panic_message(p.as_ref())));
            let _ = tx.send(result);
        });
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(job);
        if sent.is_err() {
            return Err(Crashed("the worker threads have stopped".into()));
        }
        rx.await
            .unwrap_or_else(|_| Err(Crashed("a worker thread stopped".into())))
    }
}

/// What a panic said, for a log line or an error message.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a worker panicked".into())
}

/// Lowers the calling thread's priority. Linux keeps a nice value per thread; other
/// systems would apply it to the whole process, so they keep the default.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system call on the calling thread (who = 0); raising one's own
    // nice value needs no privilege, and failure only leaves the priority as it was.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, NICE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_reports_panics_without_losing_the_worker() {
        let pool = CpuPool::new(1).unwrap();
        assert_eq!(pool.run(|| 2 + 2).await.unwrap(), 4);
        let err = pool
            .run(|| -> u32 { panic!("bad document") })
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "bad document");
        // The single worker survived the panic and takes the next job.
        assert_eq!(pool.run(|| "still here").await.unwrap(), "still here");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn workers_run_at_lowered_priority() {
        let pool = CpuPool::new(1).unwrap();
        let nice = pool
            .run(|| {
                // SAFETY: reads the calling thread's nice value.
                unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
            })
            .await
            .unwrap();
        // SAFETY: as above, for this (test) thread.
        let mine = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        assert_eq!(nice, (mine + NICE).min(19));
    }
}
