//! One refresh of one feed, top to bottom: load state → conditional GET → parse (one
//! parser, off the async runtime) → relevance filter → store in one transaction →
//! record the outcome and when the feed is next due. Also a whole pass over many feeds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;

use anyhow::Context as _;

use crate::config::{Config, FeedConfig};
use crate::cpu::CpuPool;
use crate::fetch::{FetchOutcome, Fetcher};
use chrono::NaiveDate;

use crate::model::{FeedInfo, ParsedFeed, RawEntry, WorkLink};
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

/// Keeps the entries that pass the feed's filter (and, with `relevant_only`, the
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
    let seen_before = seen.seen_before(&entries);
    for (e, seen_before) in entries.into_iter().zip(seen_before) {
        let e = e.fold_content();
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

/// Refreshes one feed. Never fails: every problem is recorded on the feed's row and
/// reported in the returned [`FeedReport`].
pub async fn refresh_feed(ctx: &Ctx, feed: &FeedConfig) -> FeedReport {
    let started = Instant::now();
    let outcome = match refresh(ctx, feed).await {
        Ok(o) => o,
        Err(e) => Outcome::Failed {
            error: e.to_string(),
            transient: true,
        },
    };
    let report = FeedReport {
        feed: feed.name.clone(),
        outcome,
        duration: started.elapsed(),
    };
    log_report(&report);
    report
}

fn log_report(r: &FeedReport) {
    let ms = r.duration.as_millis() as u64;
    match &r.outcome {
        Outcome::Stored(s) => tracing::info!(
            feed = %r.feed, new = s.new, merged = s.merged, updated = s.updated,
            unchanged = s.unchanged, filtered_out = s.filtered_out, ms, "refreshed"
        ),
        Outcome::NotModified => tracing::info!(feed = %r.feed, ms, "not modified"),
        Outcome::Failed { error, transient } => {
            tracing::warn!(feed = %r.feed, transient, ms, "failed: {error}")
        }
    }
}

async fn refresh(ctx: &Ctx, feed: &FeedConfig) -> Result<Outcome, StoreError> {
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

/// Days of overlap between an API feed's windows: records are indexed late, so
/// each run looks back over the end of the previous window.
const WINDOW_OVERLAP_DAYS: i64 = 2;

/// The window an API feed's incremental run asks for: from its last success (less
/// the overlap), or `lookback_days` back on the first run, to today.
pub fn incremental_window(feed: &FeedConfig, state: Option<&FeedRow>, today: NaiveDate) -> Window {
    let from = match state.and_then(|s| s.last_success_at) {
        Some(t) => t.date_naive() - chrono::Days::new(WINDOW_OVERLAP_DAYS as u64),
        None => today - chrono::Days::new(u64::from(feed.lookback_days)),
    };
    Window {
        from: from.min(today),
        to: today,
    }
}

/// An API feed's pages, filtered and classified.
#[derive(Default)]
struct Collected {
    entries: Vec<RawEntry>,
    /// One per entry.
    prepared: Vec<Prepared>,
    links: Vec<WorkLink>,
    filtered_out: usize,
}

/// Collects every page of `feed` over `window`, filtering as it goes.
async fn collect_pages(
    ctx: &Ctx,
    feed: &FeedConfig,
    window: Window,
) -> Result<Collected, SourceError> {
    let sctx = SourceCtx {
        fetcher: &ctx.fetcher,
        pubmed: &ctx.config.pubmed,
        page_size: None,
    };
    let mut pager = Pager::new(sctx, feed, window, None);
    let mut got = Collected::default();
    while let Some(page) = pager.next_page().await {
        let page = page?;
        let (kept, prepared, refused) = select_page(ctx, feed, page.entries).await?;
        got.entries.extend(kept);
        got.prepared.extend(prepared);
        got.links.extend(page.links);
        got.filtered_out += refused;
    }
    Ok(got)
}

/// An API feed's run: all pages of the incremental window, stored in one transaction.
async fn refresh_api(
    ctx: &Ctx,
    feed: &FeedConfig,
    state: Option<FeedRow>,
) -> Result<Outcome, StoreError> {
    let errors = state.as_ref().map_or(0, |s| s.consecutive_errors);
    let window = incremental_window(feed, state.as_ref(), Utc::now().date_naive());
    match collect_pages(ctx, feed, window).await {
        Ok(Collected {
            entries,
            prepared,
            links,
            filtered_out,
        }) => {
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
                entries,
                links,
                prepared,
                filtered_out,
                validators: Default::default(),
                http_status: 200,
            };
            let stats = record(ctx, feed, outcome, FeedUpdate::new(now, next_due)).await?;
            Ok(Outcome::Stored(stats))
        }
        Err(e) => {
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
    }
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
    let sctx = SourceCtx {
        fetcher: &ctx.fetcher,
        pubmed: &ctx.config.pubmed,
        page_size: None,
    };
    let mut pager = Pager::new(sctx, feed, window, resume);
    let mut progress = BackfillProgress {
        pages: 0,
        total: None,
        stats: IngestStats::default(),
    };
    while let Some(page) = pager.next_page().await {
        let page = page.map_err(|e| e.to_string())?;
        let (entries, prepared, filtered_out) = select_page(ctx, feed, page.entries)
            .await
            .map_err(|e| e.to_string())?;
        let stored = BackfillPage {
            entries,
            links: page.links,
            prepared,
            filtered_out,
            resume: page.resume,
        };
        let name = feed.name.clone();
        let stats = ctx
            .with_store(move |s| s.backfill_page(&name, &stored, Utc::now()))
            .await
            .map_err(|e| e.to_string())?;
        progress.pages += 1;
        progress.total = page.total.or(progress.total);
        let s = &mut progress.stats;
        s.new += stats.new;
        s.merged += stats.merged;
        s.updated += stats.updated;
        s.unchanged += stats.unchanged;
        s.filtered_out += stats.filtered_out;
        s.new_sightings += stats.new_sightings;
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
