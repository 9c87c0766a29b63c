//! One refresh of one feed, top to bottom: load state → conditional GET → parse (one
//! parser, off the async runtime) → relevance filter → store in one transaction →
//! record the outcome and when the feed is next due. Also a whole pass over many feeds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::{FutureExt, StreamExt};

use anyhow::Context as _;

use crate::config::{Config, FeedConfig};
use crate::cpu::CpuPool;
use crate::fetch::{FetchOutcome, Fetcher};
use chrono::NaiveDate;

use crate::model::{FeedInfo, ParsedFeed, RawEntry};
use crate::relevance::FilterDoc;
use crate::schedule;
use crate::sources::{Pager, SourceCtx, SourceError, Window};
use crate::store::FeedRow;
use crate::store::{
    BackfillPage, FeedUpdate, IngestStats, Prepared, RunOutcome, Store, StoreError, classify_entry,
};
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
    seen: Arc<Sightings>,
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
    fn seen_before(&self, entries: &[RawEntry]) -> Vec<bool> {
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
    fn clear(&self) {
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Dropped rather than emptied: a large pass's table is not kept for a daemon's
        // small ones.
        *seen = rustc_hash::FxHashSet::default();
    }
}

/// How one feed's refresh ended.
#[derive(Debug)]
pub enum Outcome {
    Stored(IngestStats),
    NotModified,
    Failed { error: String, transient: bool },
}

#[derive(Debug)]
pub struct FeedReport {
    pub feed: String,
    pub outcome: Outcome,
    pub duration: Duration,
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

    fn backoff_base(&self) -> Duration {
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

/// Cleans each entry ([`crate::normalize::entry::finish`]) and keeps those that pass the feed's filter (and, with `relevant_only`, the
/// tagger's relevance rule); returns them, what the writer needs of each worked out
/// here ([`Prepared`]), and the count refused.
fn select_entries(
    feed: &FeedConfig,
    tagger: &Tagger,
    seen: &Sightings,
    entries: Vec<RawEntry>,
) -> (Vec<RawEntry>, Vec<Prepared>, usize) {
    let before = entries.len();
    let mut kept = Vec::with_capacity(before);
    let mut prepared = Vec::with_capacity(before);
    let base = url::Url::parse(&feed.url).ok();
    let mut entries = entries;
    for e in &mut entries {
        crate::normalize::entry::finish(e, base.as_ref());
    }
    let seen_before = seen.seen_before(&entries);
    for (e, seen_before) in entries.into_iter().zip(seen_before) {
        if let Some(f) = &feed.filter
            && !f.matches(&FilterDoc::from_entry(&e))
        {
            continue;
        }
        // A feed that keeps only relevant entries needs the verdict to decide.
        if seen_before && !feed.relevant_only {
            prepared.push(Prepared::without_verdict(&e));
            kept.push(e);
            continue;
        }
        let verdict = classify_entry(tagger, &e);
        if feed.relevant_only && !verdict.relevant {
            continue;
        }
        prepared.push(Prepared::with_verdict(&e, verdict));
        kept.push(e);
    }
    let refused = before - kept.len();
    (kept, prepared, refused)
}

/// [`select_entries`] for an API page, on the parsing threads: a page holds hundreds
/// of records, too much to classify on the runtime, and working them out here spares
/// the writer.
async fn select_page(
    ctx: &Ctx,
    feed: &FeedConfig,
    entries: Vec<RawEntry>,
) -> Result<(Vec<RawEntry>, Vec<Prepared>, usize), SourceError> {
    let (cfg, tagger, seen) = (feed.clone(), ctx.tagger.clone(), ctx.seen.clone());
    ctx.cpu
        .run(move || select_entries(&cfg, &tagger, &seen, entries))
        .await
        // Only a bug panics there: the run fails, as a parser crash does, and is retried.
        .map_err(|e| SourceError::Internal {
            feed: feed.name.clone(),
            message: format!("classifying a page crashed: {e}"),
        })
}

/// Refreshes one feed. Never fails: every problem, a panic (a bug) included, is
/// recorded on the feed's row and reported in the returned [`FeedReport`].
pub async fn refresh_feed(ctx: &Ctx, feed: &FeedConfig) -> FeedReport {
    let started = Instant::now();
    let run = std::panic::AssertUnwindSafe(refresh(ctx, feed))
        .catch_unwind()
        .await;
    let outcome = match run {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => Outcome::Failed {
            error: e.to_string(),
            transient: true,
        },
        Err(panic) => record_panic(ctx, feed, &crate::cpu::panic_message(panic.as_ref())).await,
    };
    let report = FeedReport {
        feed: feed.name.clone(),
        outcome,
        duration: started.elapsed(),
    };
    log_report(&report);
    report
}

/// A refresh that panicked: logged with the feed's name and recorded as its failure,
/// so the feed shows it in `feeds list` and is tried again after the backoff.
async fn record_panic(ctx: &Ctx, feed: &FeedConfig, message: &str) -> Outcome {
    tracing::error!(feed = %feed.name, "refresh panicked (a bug; please report it): {message}");
    let error = format!("internal error (refresh panicked): {message}");
    let name = feed.name.clone();
    let errors = match ctx.with_store(move |s| s.feed(&name)).await {
        Ok(state) => state.map_or(0, |s| s.consecutive_errors),
        Err(_) => 0,
    };
    let failure = Failure {
        error: error.clone(),
        http_status: None,
        retry_after: None,
        transient: true,
        gone: false,
    };
    record_failure(ctx, feed, errors, failure)
        .await
        .unwrap_or(Outcome::Failed {
            error,
            transient: true,
        })
}

fn log_report(r: &FeedReport) {
    let ms = r.duration.as_millis() as u64;
    match &r.outcome {
        Outcome::Stored(s) => {
            tracing::info!(
                feed = %r.feed, new = s.new, merged = s.merged, updated = s.updated,
                unchanged = s.unchanged, filtered_out = s.filtered_out, ms, "refreshed"
            );
            for c in &s.events {
                tracing::info!(feed = %r.feed, id = c.id, kind = %c.event.kind, "new status event: {}: {}", c.title, c.event.detail);
            }
        }
        Outcome::NotModified => tracing::info!(feed = %r.feed, ms, "not modified"),
        Outcome::Failed { error, transient } => {
            tracing::warn!(feed = %r.feed, transient, ms, "failed: {error}")
        }
    }
}

async fn refresh(ctx: &Ctx, feed: &FeedConfig) -> Result<Outcome, StoreError> {
    failpoint(feed);
    let name = feed.name.clone();
    let state = ctx.with_store(move |s| s.feed(&name)).await?;
    if feed.kind.is_api() {
        return refresh_api(ctx, feed, state).await;
    }
    let url = state
        .as_ref()
        .map_or(feed.url.as_str(), |s| s.effective_url())
        .to_string();
    let (validators, errors) = state
        .as_ref()
        .map(|s| (s.validators(), s.consecutive_errors))
        .unwrap_or_default();

    let fetched = ctx.fetcher.get(&url, &validators).await;
    let now = Utc::now();
    match fetched {
        Ok(FetchOutcome::NotModified { validators }) => {
            let next_due = schedule::next_due(&feed.schedule, now, None, 0, ctx.backoff_base());
            record(
                ctx,
                feed,
                RunOutcome::NotModified { validators },
                FeedUpdate::new(now, next_due),
            )
            .await?;
            Ok(Outcome::NotModified)
        }
        Ok(FetchOutcome::Modified {
            body,
            content_type,
            validators,
            status,
            cache,
            permanent_redirect,
            ..
        }) => {
            let feed_cfg = feed.clone();
            let (tagger, seen) = (ctx.tagger.clone(), ctx.seen.clone());
            let parsed = ctx
                .cpu
                .run(move || {
                    crate::parse::parse_document(
                        &body,
                        content_type.as_deref(),
                        feed_cfg.kind,
                        &feed_cfg.name,
                    )
                    .map(|p| {
                        let ParsedFeed {
                            feed: info,
                            entries,
                        } = p;
                        let (kept, prepared, refused) =
                            select_entries(&feed_cfg, &tagger, &seen, entries);
                        (info, kept, prepared, refused)
                    })
                    .map_err(|e| e.to_string())
                })
                .await
                .unwrap_or_else(|e| Err(format!("parser crashed: {e}")));
            let (info, entries, prepared, filtered_out) = match parsed {
                Ok(p) => p,
                Err(error) => {
                    // An unparseable document is permanent until the server changes it.
                    let failure = Failure {
                        error,
                        http_status: Some(status),
                        retry_after: None,
                        transient: false,
                        gone: false,
                    };
                    return record_failure(ctx, feed, errors, failure).await;
                }
            };
            let ttl = info
                .ttl_minutes
                .map(|m| (Duration::from_secs(u64::from(m) * 60), "rss ttl"));
            let fresh = cache.fresh_for(now).map(|d| (d, "server cache lifetime"));
            let hint = [ttl, fresh].into_iter().flatten().max_by_key(|(d, _)| *d);
            let mut update = FeedUpdate::new(
                now,
                schedule::next_due(&feed.schedule, now, hint, 0, ctx.backoff_base()),
            );
            update.redirect = Some(permanent_redirect);
            let stats = record(
                ctx,
                feed,
                RunOutcome::Parsed {
                    info,
                    entries,
                    links: Vec::new(),
                    prepared,
                    filtered_out,
                    validators,
                    http_status: status,
                },
                update,
            )
            .await?;
            Ok(Outcome::Stored(stats))
        }
        Err(e) => {
            let failure = Failure {
                error: e.to_string(),
                http_status: e.status(),
                retry_after: e.retry_after().map(|r| r.delay()),
                transient: e.is_transient(),
                gone: e.status() == Some(410),
            };
            record_failure(ctx, feed, errors, failure).await
        }
    }
}

/// Debug builds only: `KETLIT_FAILPOINT_PANIC_FEED=NAME` makes that feed's refresh
/// panic, so the tests can show what a bug in a refresh does to the daemon.
fn failpoint(feed: &FeedConfig) {
    #[cfg(debug_assertions)]
    if std::env::var("KETLIT_FAILPOINT_PANIC_FEED").is_ok_and(|n| n == feed.name) {
        panic!("failpoint: feed {} panics", feed.name);
    }
    #[cfg(not(debug_assertions))]
    let _ = feed;
}

/// Days of overlap between an API feed's windows: records are indexed late, so
/// each run looks back over the end of the previous window.
const WINDOW_OVERLAP_DAYS: i64 = 2;

/// The window an API feed's incremental run asks for: from its last success (less
/// the overlap), or `lookback_days` back on the first run, to today.
pub fn incremental_window(feed: &FeedConfig, state: Option<&FeedRow>, today: NaiveDate) -> Window {
    // Checked: a stored time or a configured span can lie outside the calendar.
    let back = |from: NaiveDate, days: u64| {
        from.checked_sub_days(chrono::Days::new(days))
            .unwrap_or(NaiveDate::MIN)
    };
    let from = match state.and_then(|s| s.last_success_at) {
        Some(t) => back(t.date_naive(), WINDOW_OVERLAP_DAYS as u64),
        None => back(today, u64::from(feed.lookback_days)),
    };
    Window {
        from: from.min(today),
        to: today,
    }
}

/// Why storing an API feed's pages stopped.
#[derive(Debug, thiserror::Error)]
enum PageError {
    #[error("{0}")]
    Source(#[from] SourceError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Stores every page of `feed` over `window` as it arrives, so a run never holds
/// more than a page in memory; the stats add up the pages. An error ends the run,
/// and what was stored before it stays.
async fn store_pages(
    ctx: &Ctx,
    feed: &FeedConfig,
    window: Window,
) -> Result<IngestStats, PageError> {
    let mut pager = Pager::new(source_ctx(ctx), feed, window, None);
    let mut total = IngestStats::default();
    while let Some(page) = pager.next_page().await {
        let stats = store_page(ctx, feed, page?, false).await?;
        add_stats(&mut total, &stats);
    }
    Ok(total)
}

fn source_ctx(ctx: &Ctx) -> SourceCtx<'_> {
    SourceCtx {
        fetcher: &ctx.fetcher,
        pubmed: &ctx.config.pubmed,
        page_size: None,
        cpu: &ctx.cpu,
    }
}

/// Filters and classifies one API page off the writer, then stores it: as a page
/// of a backfill, with the token to continue after it, or of an incremental run.
async fn store_page(
    ctx: &Ctx,
    feed: &FeedConfig,
    page: crate::sources::Page,
    backfill: bool,
) -> Result<IngestStats, PageError> {
    let (entries, prepared, filtered_out) = select_page(ctx, feed, page.entries).await?;
    let stored = BackfillPage {
        entries,
        links: page.links,
        prepared,
        filtered_out,
        resume: page.resume,
    };
    let name = feed.name.clone();
    let stats = ctx
        .with_store(move |s| {
            if backfill {
                s.backfill_page(&name, &stored, Utc::now())
            } else {
                s.api_page(&name, &stored, Utc::now())
            }
        })
        .await?;
    Ok(stats)
}

fn add_stats(total: &mut IngestStats, s: &IngestStats) {
    total.new += s.new;
    total.merged += s.merged;
    total.updated += s.updated;
    total.unchanged += s.unchanged;
    total.filtered_out += s.filtered_out;
    total.new_sightings += s.new_sightings;
    total.events.extend(s.events.iter().cloned());
}

/// An API feed's run: every page of the incremental window, each stored as it
/// arrives; the feed's state, and so its next window, moves on once all are in.
async fn refresh_api(
    ctx: &Ctx,
    feed: &FeedConfig,
    state: Option<FeedRow>,
) -> Result<Outcome, StoreError> {
    let errors = state.as_ref().map_or(0, |s| s.consecutive_errors);
    let window = incremental_window(feed, state.as_ref(), Utc::now().date_naive());
    let e = match store_pages(ctx, feed, window).await {
        Ok(pages) => {
            let now = Utc::now();
            let info = FeedInfo {
                title: None,
                link: None,
                format: feed.kind.api_format().unwrap_or(crate::model::Format::Rss2),
                ttl_minutes: None,
            };
            let next_due = schedule::next_due(&feed.schedule, now, None, 0, ctx.backoff_base());
            let outcome = RunOutcome::Parsed {
                info,
                entries: Vec::new(),
                links: Vec::new(),
                prepared: Vec::new(),
                filtered_out: 0,
                validators: Default::default(),
                http_status: 200,
            };
            let mut stats = record(ctx, feed, outcome, FeedUpdate::new(now, next_due)).await?;
            add_stats(&mut stats, &pages);
            return Ok(Outcome::Stored(stats));
        }
        Err(PageError::Store(e)) => return Err(e),
        Err(PageError::Source(e)) => e,
    };
    let (retry_after, status) = match &e {
        SourceError::Fetch { error, .. } => {
            (error.retry_after().map(|r| r.delay()), error.status())
        }
        _ => (None, None),
    };
    let failure = Failure {
        error: e.to_string(),
        http_status: status,
        retry_after,
        transient: e.is_transient(),
        gone: false,
    };
    record_failure(ctx, feed, errors, failure).await
}

/// Progress of a backfill, page by page.
pub struct BackfillProgress {
    pub pages: usize,
    pub total: Option<u64>,
    pub stats: IngestStats,
}

/// `fetch --since`: pages an API feed's history from `since` to today, committing each
/// page with the token to continue after it, so an interrupted backfill resumes where
/// it stopped (when asked for the same `since`) instead of starting over.
pub async fn backfill(
    ctx: &Ctx,
    feed: &FeedConfig,
    since: NaiveDate,
    on_page: impl FnMut(&BackfillProgress),
) -> Result<BackfillProgress, String> {
    let result = backfill_pages(ctx, feed, since, on_page).await;
    ctx.flush_index().await;
    result
}

async fn backfill_pages(
    ctx: &Ctx,
    feed: &FeedConfig,
    since: NaiveDate,
    mut on_page: impl FnMut(&BackfillProgress),
) -> Result<BackfillProgress, String> {
    let name = feed.name.clone();
    let saved = ctx
        .with_store(move |s| s.backfill(&name))
        .await
        .map_err(|e| e.to_string())?;
    let today = Utc::now().date_naive();
    let (window, resume) = match saved {
        Some(b) if b.from == since => {
            tracing::info!(feed = %feed.name, "resuming the backfill from {} to {}", b.from, b.to);
            (
                Window {
                    from: b.from,
                    to: b.to,
                },
                b.resume,
            )
        }
        _ => {
            let name = feed.name.clone();
            ctx.with_store(move |s| s.backfill_begin(&name, since, today))
                .await
                .map_err(|e| e.to_string())?;
            (
                Window {
                    from: since,
                    to: today,
                },
                None,
            )
        }
    };
    let mut pager = Pager::new(source_ctx(ctx), feed, window, resume);
    let mut progress = BackfillProgress {
        pages: 0,
        total: None,
        stats: IngestStats::default(),
    };
    while let Some(page) = pager.next_page().await {
        let page = page.map_err(|e| e.to_string())?;
        let total = page.total;
        let stats = store_page(ctx, feed, page, true)
            .await
            .map_err(|e| e.to_string())?;
        progress.pages += 1;
        progress.total = total.or(progress.total);
        add_stats(&mut progress.stats, &stats);
        on_page(&progress);
    }
    Ok(progress)
}

async fn record(
    ctx: &Ctx,
    feed: &FeedConfig,
    outcome: RunOutcome,
    update: FeedUpdate,
) -> Result<IngestStats, StoreError> {
    let name = feed.name.clone();
    // The outcome comes back to be freed here: its entries were allocated by a parse
    // thread, and freeing them on the writer made it wait on that thread's allocator.
    let (stats, outcome) = ctx
        .with_store(move |s| Ok((s.record_run(&name, &outcome, update), outcome)))
        .await?;
    drop(outcome);
    stats
}

struct Failure {
    error: String,
    http_status: Option<u16>,
    retry_after: Option<Duration>,
    transient: bool,
    /// 410 Gone: the feed is disabled until `feeds retry` or a new URL.
    gone: bool,
}

async fn record_failure(
    ctx: &Ctx,
    feed: &FeedConfig,
    errors: u32,
    f: Failure,
) -> Result<Outcome, StoreError> {
    let now = Utc::now();
    let hint = f.retry_after.map(|d| (d, "server asked to retry after"));
    let mut next_due =
        schedule::next_due(&feed.schedule, now, hint, errors + 1, ctx.backoff_base());
    if !f.transient {
        next_due.reason = format!("{} (permanent error)", next_due.reason);
    }
    let mut update = FeedUpdate::new(now, next_due);
    if f.gone {
        update.disable = Some(format!(
            "the server answered 410 Gone on {}: the feed was removed; fix its URL or run `ketlit feeds retry {}`",
            now.format("%Y-%m-%d"),
            feed.name
        ));
    }
    let outcome = RunOutcome::Failed {
        error: f.error.clone(),
        http_status: f.http_status,
    };
    record(ctx, feed, outcome, update).await?;
    Ok(Outcome::Failed {
        error: f.error,
        transient: f.transient,
    })
}

/// Refreshes `feeds`, `http.concurrency` at a time; `on_done` sees each report as it
/// lands (for progress). One feed's failure never stops the others.
pub async fn run_pass(
    ctx: &Ctx,
    feeds: &[FeedConfig],
    mut on_done: impl FnMut(&FeedReport),
) -> Vec<FeedReport> {
    let concurrency = ctx.config.http.concurrency.max(1);
    let mut reports = Vec::with_capacity(feeds.len());
    let mut stream = futures_util::stream::iter(feeds.iter().map(|f| refresh_feed(ctx, f)))
        .buffer_unordered(concurrency);
    while let Some(r) = stream.next().await {
        on_done(&r);
        reports.push(r);
    }
    ctx.flush_index().await;
    reports
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_ids(doi: Option<&str>, pmid: Option<&str>, pmcid: Option<&str>) -> RawEntry {
        RawEntry {
            title: Some("Esketamine for treatment-resistant depression".into()),
            doi: doi.map(str::to_owned),
            pmid: pmid.map(str::to_owned),
            pmcid: pmcid.map(str::to_owned),
            ..RawEntry::default()
        }
    }

    #[test]
    fn an_entry_is_seen_before_when_an_earlier_one_had_any_of_its_identifiers() {
        let seen = Sightings::default();
        let first = seen.seen_before(&[
            with_ids(Some("10.1/a"), None, None),
            with_ids(None, Some("123"), None),
            // Each kind of identifier apart: a PMCID is not a PMID of the same digits.
            with_ids(None, None, Some("123")),
            with_ids(Some(" 10.1/a "), None, None),
            with_ids(None, None, None),
            with_ids(Some(""), None, None),
        ]);
        assert_eq!(first, [false, false, false, true, false, false]);
        // Across calls (another feed) until the burst ends.
        let again = with_ids(Some("10.2/b"), Some("123"), None);
        assert_eq!(seen.seen_before(std::slice::from_ref(&again)), [true]);
        seen.clear();
        assert_eq!(seen.seen_before(&[again]), [false]);
    }

    #[test]
    fn an_entry_seen_before_is_left_to_the_writer_unless_the_feed_keeps_only_relevant_ones() {
        let tagger = Tagger::builtin();
        let mut feed = Config::builtin().unwrap().feeds[0].clone();
        feed.filter = None;
        let entries = || vec![with_ids(Some("10.1/a"), None, None); 2];
        for relevant_only in [false, true] {
            feed.relevant_only = relevant_only;
            let (kept, prepared, refused) =
                select_entries(&feed, &tagger, &Sightings::default(), entries());
            assert_eq!((kept.len(), refused), (2, 0));
            let verdicts: Vec<bool> = prepared.iter().map(|p| p.tags.is_some()).collect();
            assert_eq!(
                verdicts,
                [true, relevant_only],
                "relevant_only = {relevant_only}"
            );
        }
    }

    #[test]
    fn a_lookback_past_the_calendar_starts_the_window_at_its_first_day_instead_of_panicking() {
        let mut feed = Config::builtin().unwrap().feeds[0].clone();
        feed.lookback_days = u32::MAX;
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let w = incremental_window(&feed, None, today);
        assert_eq!((w.from, w.to), (NaiveDate::MIN, today));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_lone_write_is_committed_once_due_with_no_job_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ketlit.db");
        let cfg = Config::builtin().unwrap();
        let feeds = cfg.feeds.clone();
        let ctx = Ctx::new(cfg, Store::open(&path).unwrap()).unwrap();
        ctx.with_store(move |s| s.sync_feeds(&feeds, Utc::now()))
            .await
            .unwrap();
        // Another connection sees the write only once it is committed.
        let reader = Store::open_read_only(&path).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while reader.feeds().unwrap().is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "the shared transaction was never committed"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
