//! An API feed (PubMed, Europe PMC, bioRxiv/medRxiv, ClinicalTrials.gov, arXiv):
//! its incremental window, its pages stored as they arrive, and `fetch --since`
//! backfills that resume where they stopped.

use chrono::{NaiveDate, Utc};

use super::select::select_page;
use super::{Ctx, Failure, Outcome, record, record_failure};
use crate::config::FeedConfig;
use crate::model::FeedInfo;
use crate::schedule;
use crate::sources::{Pager, SourceCtx, SourceError, Window};
use crate::store::{BackfillPage, FeedRow, FeedUpdate, IngestStats, RunOutcome, StoreError};

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
pub(super) async fn refresh_api(
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
