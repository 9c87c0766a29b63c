//! One refresh of one feed, top to bottom: load state → conditional GET → parse (one
//! parser, off the async runtime) → relevance filter → store in one transaction →
//! record the outcome and when the feed is next due. Also a whole pass over many feeds.

use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::{FutureExt, StreamExt};

use crate::config::FeedConfig;
use crate::schedule;
use crate::store::{FeedUpdate, IngestStats, RunOutcome, StoreError};

mod api;
mod ctx;
mod document;
mod select;

pub use api::{BackfillProgress, backfill, incremental_window};
pub use ctx::Ctx;
pub(crate) use ctx::Sightings;

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
                tracing::info!(
                    feed = %r.feed, work = c.id, kind = %c.event.kind,
                    "status event: {} ({})", c.title, c.event.detail
                );
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
        return api::refresh_api(ctx, feed, state).await;
    }
    document::refresh_document(ctx, feed, state).await
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
mod tests;
