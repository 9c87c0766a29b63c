//! One refresh of one feed, top to bottom: load state → conditional GET → parse (one
//! parser, off the async runtime) → relevance filter → store in one transaction →
//! record the outcome and when the feed is next due. Also a whole pass over many feeds.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;

use crate::config::{Config, FeedConfig};
use crate::fetch::{FetchOutcome, Fetcher};
use crate::model::{ParsedFeed, RawEntry};
use crate::relevance::FilterDoc;
use crate::schedule;
use crate::store::{FeedUpdate, IngestStats, RunOutcome, Store, StoreError};

/// What the pipeline needs: one HTTP client and the database.
#[derive(Clone)]
pub struct Ctx {
    pub fetcher: Fetcher,
    pub store: Arc<Mutex<Store>>,
    pub config: Arc<Config>,
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
    /// Runs `f` on the store from a blocking thread, so SQLite never stalls the runtime.
    pub async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            // A panic elsewhere while holding the lock leaves the connection usable:
            // every write is its own transaction, rolled back on drop.
            let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
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

/// Splits parsed entries into those that pass the feed's filter and the count refused.
fn apply_filter(feed: &FeedConfig, entries: Vec<RawEntry>) -> (Vec<RawEntry>, usize) {
    let Some(filter) = &feed.filter else {
        return (entries, 0);
    };
    let before = entries.len();
    let kept: Vec<RawEntry> = entries
        .into_iter()
        .filter(|e| filter.matches(&FilterDoc::from_entry(e)))
        .collect();
    let refused = before - kept.len();
    (kept, refused)
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
    let (validators, errors) = state
        .map(|s| (s.validators(), s.consecutive_errors))
        .unwrap_or_default();

    let fetched = ctx.fetcher.get(&feed.url, &validators).await;
    let now = Utc::now();
    let schedule = feed.schedule.clone();
    let name = feed.name.clone();
    match fetched {
        Ok(FetchOutcome::NotModified { validators }) => {
            let next_due = schedule::next_due(&schedule, now, None, 0);
            ctx.with_store(move |s| {
                s.record_run(
                    &name,
                    RunOutcome::NotModified { validators },
                    FeedUpdate { now, next_due },
                )
            })
            .await?;
            Ok(Outcome::NotModified)
        }
        Ok(FetchOutcome::Modified {
            body,
            content_type,
            validators,
            status,
            cache,
            ..
        }) => {
            let feed_cfg = feed.clone();
            let parsed = tokio::task::spawn_blocking(move || {
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
                    let (kept, refused) = apply_filter(&feed_cfg, entries);
                    (info, kept, refused)
                })
                .map_err(|e| e.to_string())
            })
            .await
            .unwrap_or_else(|e| Err(format!("parser crashed: {e}")));
            match parsed {
                Ok((info, entries, filtered_out)) => {
                    let ttl = info
                        .ttl_minutes
                        .map(|m| (Duration::from_secs(u64::from(m) * 60), "ttl"));
                    let max_age = cache.max_age.map(|d| (d, "max-age"));
                    let expires = cache
                        .expires
                        .and_then(|t| (t - now).to_std().ok())
                        .map(|d| (d, "expires"));
                    let hint = [ttl, max_age, expires]
                        .into_iter()
                        .flatten()
                        .max_by_key(|(d, _)| *d);
                    let next_due = schedule::next_due(&schedule, now, hint, 0);
                    let stats = ctx
                        .with_store(move |s| {
                            s.record_run(
                                &name,
                                RunOutcome::Parsed {
                                    info: &info,
                                    entries: &entries,
                                    filtered_out,
                                    validators,
                                    http_status: status,
                                },
                                FeedUpdate { now, next_due },
                            )
                        })
                        .await?;
                    Ok(Outcome::Stored(stats))
                }
                Err(error) => {
                    record_failure(ctx, feed, errors, error, Some(status), None, false).await
                }
            }
        }
        Err(e) => {
            let retry = e.retry_after().map(|r| r.delay());
            record_failure(
                ctx,
                feed,
                errors,
                e.to_string(),
                e.status(),
                retry,
                e.is_transient(),
            )
            .await
        }
    }
}

async fn record_failure(
    ctx: &Ctx,
    feed: &FeedConfig,
    errors: u32,
    error: String,
    http_status: Option<u16>,
    retry_after: Option<Duration>,
    transient: bool,
) -> Result<Outcome, StoreError> {
    let now = Utc::now();
    let hint = retry_after.map(|d| (d, "retry-after"));
    let next_due = schedule::next_due(&feed.schedule, now, hint, errors + 1);
    let name = feed.name.clone();
    let message = error.clone();
    ctx.with_store(move |s| {
        s.record_run(
            &name,
            RunOutcome::Failed {
                error: message,
                http_status,
            },
            FeedUpdate { now, next_due },
        )
    })
    .await?;
    Ok(Outcome::Failed { error, transient })
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
    reports
}
