//! Storing the tagger's verdict: each work's tags with their evidence, kept apart from
//! the type tags a source states outright, and `retag` over the whole database.

use std::collections::BTreeMap;

use rusqlite::{Connection, Statement};
use serde::Serialize;

use super::ingest::{TagInputs, load};
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

type TagRow = (Option<String>, Option<String>, Option<i64>, Option<i64>);

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

/// Writes the tags of a verdict computed for a new work (nothing to compare with),
/// through `st`, a statement of [`INSERT_TAG`].
pub(super) fn write_verdict(
    st: &mut Statement,
    id: i64,
    verdict: &Classification,
) -> rusqlite::Result<()> {
    let rows = verdict.tags.iter().map(|t| {
        let e = &t.evidence;
        (
            &*t.tag,
            Some(e.field),
            Some(e.phrase.as_str()),
            Some(e.span[0] as i64),
            Some(e.span[1] as i64),
        )
    });
    insert_tags(st, id, rows)
}

/// A tag and its evidence, borrowed for [`insert_tags`].
type TagRowRef<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<i64>,
    Option<i64>,
);

/// Inserts one tag row. One row a statement: a statement inserting several rows into
/// a table with a foreign key keeps a journal of every page it touches (to undo itself
/// should a later row fail the key), which cost more than the statements.
pub(super) const INSERT_TAG: &str =
    "INSERT OR IGNORE INTO tags (entry_id, tag, field, phrase, span_start, span_end)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// Inserts `rows` for work `id` through `st`, a statement of [`INSERT_TAG`].
fn insert_tags<'a>(
    st: &mut Statement,
    id: i64,
    rows: impl IntoIterator<Item = TagRowRef<'a>>,
) -> rusqlite::Result<()> {
    for (tag, field, phrase, a, b) in rows {
        st.execute(rusqlite::params![id, tag, field, phrase, a, b])?;
    }
    Ok(())
}

/// Classifies one stored work and replaces its tagger-set tags when they changed,
/// inserting through `insert`, a statement of [`INSERT_TAG`]. Returns (added, removed).
pub(super) fn tag_work(
    tx: &Connection,
    insert: &mut Statement,
    id: i64,
    tagger: &Tagger,
) -> rusqlite::Result<(usize, usize)> {
    let f = load(tx, id)?;
    let verdict = classify(tagger, f.tag_inputs());
    let new: BTreeMap<String, TagRow> = verdict
        .tags
        .into_iter()
        .map(|t| {
            let e = t.evidence;
            (
                t.tag.to_string(),
                (
                    Some(e.field.to_owned()),
                    Some(e.phrase),
                    Some(e.span[0] as i64),
                    Some(e.span[1] as i64),
                ),
            )
        })
        .collect();
    let old: BTreeMap<String, TagRow> = tx
        .prepare_cached(
            "SELECT tag, field, phrase, span_start, span_end FROM tags WHERE entry_id = ?1 AND field IS NOT 'source'",
        )?
        .query_map([id], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))))?
        .collect::<rusqlite::Result<_>>()?;
    if old == new {
        return Ok((0, 0));
    }
    let added = new.keys().filter(|k| !old.contains_key(*k)).count();
    let removed = old.keys().filter(|k| !new.contains_key(*k)).count();
    tx.prepare_cached("DELETE FROM tags WHERE entry_id = ?1 AND field IS NOT 'source'")?
        .execute([id])?;
    let rows = new.iter().map(|(tag, (field, phrase, a, b))| {
        (tag.as_str(), field.as_deref(), phrase.as_deref(), *a, *b)
    });
    insert_tags(insert, id, rows)?;
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
            let mut insert = tx.prepare_cached(INSERT_TAG)?;
            for id in ids {
                let (added, removed) = tag_work(tx, &mut insert, id, tagger)?;
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
