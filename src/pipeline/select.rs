//! Which of a document's entries a feed keeps, and what the writer needs of each,
//! worked out on the CPU pool.

use super::{Ctx, Sightings};
use crate::config::FeedConfig;
use crate::model::RawEntry;
use crate::relevance::FilterDoc;
use crate::sources::SourceError;
use crate::store::{Prepared, classify_entry};
use crate::tag::Tagger;

/// Cleans each entry ([`crate::normalize::entry::finish`]) and keeps those that pass the feed's filter (and, with `relevant_only`, the
/// tagger's relevance rule); returns them, what the writer needs of each worked out
/// here ([`Prepared`]), and the count refused.
pub(super) fn select_entries(
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
pub(super) async fn select_page(
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
