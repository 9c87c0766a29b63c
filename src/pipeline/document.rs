//! A feed that is one document (RSS, Atom, RDF, JSON Feed): a conditional GET, one
//! parser on the CPU pool, then the entries and the feed's next due time recorded.

use std::time::Duration;

use chrono::Utc;

use super::select::select_entries;
use super::{Ctx, Failure, Outcome, record, record_failure};
use crate::config::FeedConfig;
use crate::fetch::{Document, FetchOutcome};
use crate::model::ParsedFeed;
use crate::schedule;
use crate::store::{FeedRow, FeedUpdate, RunOutcome, StoreError};

/// Fetches the feed's document (conditionally, from where it last moved to) and
/// records what came of it.
pub(super) async fn refresh_document(
    ctx: &Ctx,
    feed: &FeedConfig,
    state: Option<FeedRow>,
) -> Result<Outcome, StoreError> {
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
        Ok(FetchOutcome::Modified(document)) => store_document(ctx, feed, errors, document).await,
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

/// Parses and selects the document's entries on the CPU pool, then records them with
/// the feed's next due time (its schedule, pushed later by the server's hints).
async fn store_document(
    ctx: &Ctx,
    feed: &FeedConfig,
    errors: u32,
    document: Document,
) -> Result<Outcome, StoreError> {
    // Relative links resolve against where the document came from after redirects,
    // which is also its name in errors.
    let Document {
        final_url: url,
        body,
        content_type,
        validators,
        status,
        cache,
        permanent_redirect,
    } = document;
    let now = Utc::now();
    let feed_cfg = feed.clone();
    let (tagger, seen) = (ctx.tagger.clone(), ctx.seen.clone());
    let parsed = ctx
        .cpu
        .run(move || {
            crate::parse::parse_document(&body, content_type.as_deref(), feed_cfg.kind, &url)
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
