//! What a pass shares: the HTTP client, the database behind its single writer and
//! the commit timer, the tagger, the CPU pool, and the identifiers seen this burst.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;

use crate::config::Config;
use crate::cpu::CpuPool;
use crate::fetch::Fetcher;
use crate::model::RawEntry;
use crate::store::{Store, StoreError};
use crate::tag::Tagger;

/// What the pipeline needs: one HTTP client and the database.
#[derive(Clone)]
pub struct Ctx {
    pub fetcher: Fetcher,
    pub store: Arc<Mutex<Store>>,
    pub config: Arc<Config>,
    /// Judges relevance for feeds with `relevant_only` (the store tags with its own copy).
    pub tagger: Arc<Tagger>,
    /// Parsing and classifying run here, a job per core at a time, at a priority
    /// below the single writer's (the pass's bottleneck), which so always gets a core.
    pub cpu: Arc<CpuPool>,
    /// Checkpoints the write-ahead log off the writer while any copy of this lives.
    checkpointer: Arc<crate::store::Checkpointer>,
    /// Whether a task is set to commit the shared transaction when it falls due.
    commit_timer: Arc<AtomicBool>,
    /// The identifiers of the entries parsed in this burst of writes.
    pub(super) seen: Arc<Sightings>,
}

/// The identifiers (DOI, PMID, PMCID) of the entries parsed since the last burst of
/// writes ended, hashed: an entry that shares one with an earlier entry will most
/// likely join that entry's work, and a work joined is classified again by the writer
/// from the joined fields, so classifying the entry on its own first would be wasted
/// (a tenth of the tagger's work in a cold pass where a tenth of the works appear
/// twice; more where PubMed and Europe PMC feeds overlap). A hash collision, or an
/// entry that makes a new work after all, only moves its classifying to the writer.
#[derive(Default)]
pub(crate) struct Sightings(Mutex<rustc_hash::FxHashSet<u64>>);

impl Sightings {
    /// Whether each entry shares an identifier with an entry seen before it (in this
    /// call or an earlier one); records the identifiers of all.
    pub(super) fn seen_before(&self, entries: &[RawEntry]) -> Vec<bool> {
        use std::hash::BuildHasher;
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .iter()
            .map(|e| {
                let mut before = false;
                for (kind, id) in [(0u8, &e.doi), (1, &e.pmid), (2, &e.pmcid)] {
                    // Trimmed as the stored work's identifiers are.
                    if let Some(id) = id.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
                        before |= !seen.insert(rustc_hash::FxBuildHasher.hash_one((kind, id)));
                    }
                }
                before
            })
            .collect()
    }

    /// Forgets them all: the burst's writes are committed.
    pub(super) fn clear(&self) {
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Dropped rather than emptied: a large pass's table is not kept for a daemon's
        // small ones.
        *seen = rustc_hash::FxHashSet::default();
    }
}

impl Ctx {
    /// Everything a pass needs from a config: the HTTP client, the tagger (also given
    /// to the store, which tags what it ingests), and the store itself.
    pub fn new(config: Config, mut store: Store) -> anyhow::Result<Ctx> {
        let fetcher = Fetcher::new(&config.http.settings())?;
        let tagger = Arc::new(config.tagger()?);
        store.set_tagger(tagger.clone());
        // Search indexing runs beside the writer, on a thread and database file of its
        // own: it was a third of the writer's work in a large pass.
        store.spawn_indexer()?;
        store.set_group_commit(true)?;
        store.set_key_checks(false)?;
        let checkpointer = Arc::new(store.spawn_checkpointer()?);
        Ok(Ctx {
            fetcher,
            store: Arc::new(Mutex::new(store)),
            config: Arc::new(config),
            tagger,
            checkpointer,
            commit_timer: Arc::new(AtomicBool::new(false)),
            seen: Arc::default(),
            cpu: Arc::new(CpuPool::for_machine().context("starting the parsing threads")?),
        })
    }

    /// The same store under a new config (SIGHUP). Fails, changing nothing, if the
    /// config's HTTP settings or tagging rules cannot be used.
    pub fn reload(&self, config: Config) -> anyhow::Result<Ctx> {
        let fetcher = Fetcher::new(&config.http.settings())?;
        let tagger = Arc::new(config.tagger()?);
        self.store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set_tagger(tagger.clone());
        Ok(Ctx {
            fetcher,
            store: self.store.clone(),
            config: Arc::new(config),
            tagger,
            cpu: self.cpu.clone(),
            checkpointer: self.checkpointer.clone(),
            commit_timer: self.commit_timer.clone(),
            seen: self.seen.clone(),
        })
    }

    /// Commits the shared transaction, whatever else waits, and waits until the index
    /// thread has indexed for search everything written. Runs when a burst of writes
    /// ends (a pass, a backfill, the daemon's feeds in flight).
    pub async fn flush_index(&self) {
        // The writer is done: the main database's last checkpoint (its copy and fsync,
        // disk time) runs now, beside the last index step (processor time), rather than
        // after it.
        let committed = self.with_store(|s| s.commit_group()).await;
        self.seen.clear();
        self.checkpointer.nudge();
        let flushed = committed.and(self.with_store(|s| s.flush_index()).await);
        if let Err(e) = flushed {
            tracing::error!("indexing new entries for search: {e}");
        }
    }

    pub(super) fn backoff_base(&self) -> Duration {
        Duration::from_secs(self.config.schedule.error_backoff_secs)
    }

    /// Runs `f` on the store from a blocking thread, so SQLite never stalls the runtime.
    /// Writes join the store's shared transaction, committed when it falls due (250 ms
    /// old or 64 writes), by the job then running or else by a timer, and at the end of
    /// every burst of writes ([`Ctx::flush_index`]): in a busy pass, one commit covers
    /// dozens of feeds. Committing whenever no other job waited instead made a commit
    /// of every second feed in a large pass, each writing the pages it shared with the
    /// last one (the identifier indexes, the tables' last pages) to the log again: half
    /// as much log again as database. A feed's result is reported before that commit;
    /// should the commit fail, the job that ran it (or the log, for the timer) names how
    /// many writes were lost (their feeds keep their old state, so the next pass
    /// fetches them again).
    pub async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        let (timer, runtime) = (self.commit_timer.clone(), tokio::runtime::Handle::current());
        tokio::task::spawn_blocking(move || {
            // A panic elsewhere while holding the lock leaves the connection usable: a
            // write that panics rolls back its savepoint as it unwinds.
            let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut guard)))
                .unwrap_or_else(|_| {
                    Err(StoreError::Other {
                        path: "database".into(),
                        message: "store task panicked".into(),
                    })
                });
            match guard.commit_if_due() {
                Err(e) => {
                    tracing::error!("{e}");
                    return Err(e);
                }
                // The flag is only read and set under the store's lock, so a group
                // opened as the timer finds none open still gets a timer.
                Ok(Some(left)) if !timer.swap(true, Ordering::SeqCst) => {
                    runtime.spawn(commit_when_due(store.clone(), timer, left));
                }
                Ok(_) => {}
            }
            result
        })
        .await
        .unwrap_or_else(|e| {
            Err(StoreError::Other {
                path: "database".into(),
                message: format!("store task failed: {e}"),
            })
        })
    }
}

/// Commits the store's shared transaction once it falls due, `first` from now, so
/// that writes wait at most that long to be seen whether or not other jobs follow.
async fn commit_when_due(store: Arc<Mutex<Store>>, timer: Arc<AtomicBool>, first: Duration) {
    let mut wait = first;
    loop {
        tokio::time::sleep(wait).await;
        let (store, flag) = (store.clone(), timer.clone());
        let left = tokio::task::spawn_blocking(move || {
            let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
            let left = guard.commit_if_due().unwrap_or_else(|e| {
                tracing::error!("{e}");
                None
            });
            if left.is_none() {
                flag.store(false, Ordering::SeqCst);
            }
            left
        })
        .await;
        match left {
            Ok(Some(left)) => wait = left,
            // Cleared under the lock above.
            Ok(None) => return,
            Err(_) => {
                timer.store(false, Ordering::SeqCst);
                return;
            }
        }
    }
}
