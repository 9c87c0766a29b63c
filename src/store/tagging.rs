//! Storing the tagger's verdict: each work's tags with their evidence in its row
//! (`entries.tags`), kept apart from the type tags a source states outright, and
//! `retag` over the whole database.

use std::fmt::Write as _;

use rusqlite::{Connection, params};
use serde::Serialize;

use super::ingest::{TagInputs, load};
use super::read::Evidence;
use super::{Result, Store};
use crate::model::RawEntry;
use crate::tag::{Classification, TagInput, Tagger};

/// Category prefixes that carry structured data from API sources rather than keywords.
const STRUCTURED: [&str; 6] = [
    "type:",
    "nct:",
    "condition:",
    "intervention:",
    "phase:",
    "status:",
];

/// What `retag` did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RetagStats {
    pub entries: usize,
    /// Entries whose tags changed.
    pub entries_changed: usize,
    pub tags_added: usize,
    pub tags_removed: usize,
}

/// Classifies a work from the fields the store keeps: keywords are the categories that
/// are not structured API data, and `condition:` categories are registered conditions.
fn classify(tagger: &Tagger, f: TagInputs) -> Classification {
    let keywords: Vec<String> = f
        .categories
        .iter()
        .filter(|c| !STRUCTURED.iter().any(|p| c.starts_with(p)))
        .cloned()
        .collect();
    let conditions: Vec<String> = f
        .categories
        .iter()
        .filter_map(|c| c.strip_prefix("condition:"))
        .map(str::to_owned)
        .collect();
    tagger.classify(&TagInput {
        title: f.title,
        abstract_: f.abstract_,
        mesh: f.mesh,
        keywords: &keywords,
        publication_types: f.publication_types,
        conditions: &conditions,
    })
}

/// The verdict the store would reach for `e` were it stored as a new work. The
/// pipeline computes it while parsing, on any core, so the single writer only writes.
pub fn classify_entry(tagger: &Tagger, e: &RawEntry) -> Classification {
    classify(tagger, TagInputs::of_entry(e))
}

/// A tag and its evidence, borrowed, on its way into a work's stored tags.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct TagRef<'a> {
    pub tag: &'a str,
    pub field: Option<&'a str>,
    pub phrase: Option<&'a str>,
    pub span: Option<[i64; 2]>,
}

impl<'a> TagRef<'a> {
    pub(super) fn of(e: &'a Evidence) -> TagRef<'a> {
        TagRef {
            tag: &e.tag,
            field: e.field.as_deref(),
            phrase: e.phrase.as_deref(),
            span: e.span,
        }
    }
}

/// The field of the type tags a source states outright (see [`source_rows`]).
const SOURCE: &str = "source";

/// A verdict's tags as rows.
pub(super) fn verdict_rows(v: &Classification) -> impl Iterator<Item = TagRef<'_>> {
    v.tags.iter().map(|t| TagRef {
        tag: &t.tag,
        field: Some(t.evidence.field),
        phrase: Some(&t.evidence.phrase),
        span: Some([t.evidence.span[0] as i64, t.evidence.span[1] as i64]),
    })
}

/// Type tags a source states outright (`type:preprint` from Europe PMC's PPR source
/// or bioRxiv, `type:trial-registration` from ClinicalTrials.gov), with the category
/// as their evidence.
pub(super) fn source_rows(e: &RawEntry) -> impl Iterator<Item = TagRef<'_>> {
    e.categories
        .iter()
        .filter(|c| c.starts_with("type:"))
        .map(|c| TagRef {
            tag: c,
            field: Some(SOURCE),
            phrase: Some(c),
            span: None,
        })
}

/// Where a tag goes among a work's tags: conditions first, in a fixed order, then the
/// `drug:` and `type:` tags by name (migration 0011 says the same in SQL).
fn display_order(tag: &str) -> (bool, u8, &str) {
    let rank = crate::tag::CONDITION_TAGS
        .iter()
        .position(|c| *c == tag)
        .unwrap_or(crate::tag::CONDITION_TAGS.len());
    (tag.contains(':'), rank as u8, tag)
}

/// A work's tags as `entries.tags` keeps them (schema 11): one line per tag, in
/// display order, `tag TAB field TAB start TAB end TAB phrase`, a part left empty
/// when unknown. Of several rows for one tag the first is kept. Tabs and line breaks
/// inside a part become spaces.
///
/// Why a column and not a table of rows: a work has six tags on average, and as rows
/// of their own they were a tenth of the database and a quarter of the writer's work
/// in a cold pass (240,000 inserts into a second B-tree); the column is written with
/// the work's row. Everything reads tags per work, or all of them (`stats`), which
/// scans the works either way.
pub(super) fn encode<'a>(rows: impl IntoIterator<Item = TagRef<'a>>) -> String {
    let mut kept: Vec<TagRef<'a>> = Vec::new();
    for r in rows {
        if !kept.iter().any(|k| k.tag == r.tag) {
            kept.push(r);
        }
    }
    kept.sort_by(|a, b| display_order(a.tag).cmp(&display_order(b.tag)));
    let mut out = String::with_capacity(kept.len() * 48);
    let put = |part: &str, out: &mut String| {
        out.extend(part.chars().map(|c| match c {
            '\t' | '\n' | '\r' => ' ',
            c => c,
        }));
    };
    for (i, r) in kept.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        put(r.tag, &mut out);
        out.push('\t');
        put(r.field.unwrap_or(""), &mut out);
        out.push('\t');
        if let Some([a, b]) = r.span {
            // Into the string itself: a `format!` here allocated for every tag written.
            let _ = write!(out, "{a}\t{b}");
        } else {
            out.push('\t');
        }
        out.push('\t');
        put(r.phrase.unwrap_or(""), &mut out);
    }
    out
}

/// The tags in a stored `entries.tags`, with their evidence.
pub(super) fn decode(text: &str) -> Vec<Evidence> {
    text.split('\n')
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut parts = line.splitn(5, '\t');
            let mut next = || parts.next().filter(|p| !p.is_empty());
            let tag = next().unwrap_or_default().to_owned();
            let field = next().map(str::to_owned);
            let start = next().and_then(|p| p.parse().ok());
            let end = next().and_then(|p| p.parse().ok());
            let phrase = next().map(str::to_owned);
            Evidence {
                tag,
                field,
                phrase,
                span: start.zip(end).map(|(a, b)| [a, b]),
            }
        })
        .collect()
}

/// The names of the tags in a stored `entries.tags`, in display order.
pub(super) fn names(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .filter_map(|l| l.split('\t').next())
        .filter(|t| !t.is_empty())
}

/// A work's stored tags.
pub(super) fn stored(tx: &Connection, id: i64) -> rusqlite::Result<String> {
    tx.prepare_cached("SELECT tags FROM entries WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
}

/// Replaces a work's stored tags.
pub(super) fn store(tx: &Connection, id: i64, tags: &str) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE entries SET tags = ?2 WHERE id = ?1")?
        .execute(params![id, tags])
        .map(drop)
}

/// Adds `rows` to work `id`'s tags, keeping the tags it has; writes only on a change.
pub(super) fn add<'a>(
    tx: &Connection,
    id: i64,
    rows: impl IntoIterator<Item = TagRef<'a>>,
) -> rusqlite::Result<()> {
    let mut rows = rows.into_iter().peekable();
    if rows.peek().is_none() {
        return Ok(());
    }
    let old = stored(tx, id)?;
    let have = decode(&old);
    let mut all: Vec<TagRef> = have.iter().map(TagRef::of).collect();
    for r in rows {
        all.push(r);
    }
    let new = encode(all);
    if new != old {
        store(tx, id, &new)?;
    }
    Ok(())
}

/// Classifies one stored work and replaces its tagger-set tags when they changed; the
/// tags its sources state stay. Returns (added, removed).
pub(super) fn tag_work(
    tx: &Connection,
    id: i64,
    tagger: &Tagger,
) -> rusqlite::Result<(usize, usize)> {
    let f = load(tx, id)?;
    let verdict = classify(tagger, f.tag_inputs());
    let have = decode(&stored(tx, id)?);
    let (sources, old): (Vec<&Evidence>, Vec<&Evidence>) = have
        .iter()
        .partition(|e| e.field.as_deref() == Some(SOURCE));
    let new: Vec<TagRef> = verdict_rows(&verdict).collect();
    let same =
        old.len() == new.len() && old.iter().all(|o| new.iter().any(|n| *n == TagRef::of(o)));
    if same {
        return Ok((0, 0));
    }
    let added = new
        .iter()
        .filter(|n| !old.iter().any(|o| o.tag == n.tag))
        .count();
    let removed = old
        .iter()
        .filter(|o| !new.iter().any(|n| n.tag == o.tag))
        .count();
    let tags = encode(sources.into_iter().map(TagRef::of).chain(new));
    store(tx, id, &tags)?;
    Ok((added, removed))
}

impl Store {
    /// Re-applies `tagger` to every stored work in one transaction.
    pub fn retag(&mut self, tagger: &Tagger) -> Result<RetagStats> {
        self.write(|tx| {
            let ids: Vec<i64> = tx
                .prepare("SELECT id FROM entries ORDER BY id")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut stats = RetagStats {
                entries: ids.len(),
                ..Default::default()
            };
            for id in ids {
                let (added, removed) = tag_work(tx, id, tagger)?;
                if added + removed > 0 {
                    stats.entries_changed += 1;
                }
                stats.tags_added += added;
                stats.tags_removed += removed;
            }
            Ok(stats)
        })
    }
}
