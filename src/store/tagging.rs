//! Storing the tagger's verdict: each work's tags with their evidence, kept apart from
//! the type tags a source states outright, and `retag` over the whole database.

use std::collections::BTreeMap;

use rusqlite::{CachedStatement, Connection};
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

/// Writes the tags of a verdict computed for a new work (nothing to compare with).
pub(super) fn write_verdict(
    out: &mut TagWriter,
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
    out.insert(id, rows)
}

/// A tag and its evidence, borrowed for [`TagWriter::insert`].
pub(super) type TagRowRef<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<i64>,
    Option<i64>,
);

/// The most tag rows one statement of [`TagWriter`] inserts; a work has five or six.
const ROWS_PER_INSERT: usize = 8;

/// Inserts a work's tag rows, several to a statement. A row cost the writer some
/// 2 µs when a statement of its own inserted it; one statement for all of a work's
/// rows took a quarter of that off (0.49 to 0.37 s of CPU in a cold pass of 45,000
/// works and 240,000 rows), the part spent running a statement rather than adding
/// to the table. That holds where foreign keys go unchecked (the pipeline's writer,
/// see [`Store::set_key_checks`]): with the checks, a statement of several rows
/// keeps a journal of every page it touches, to undo itself should a later row
/// fail its key.
pub(super) struct TagWriter<'c> {
    tx: &'c Connection,
    /// The statement inserting `n + 1` rows, prepared when first needed.
    by_rows: [Option<CachedStatement<'c>>; ROWS_PER_INSERT],
}

impl<'c> TagWriter<'c> {
    pub(super) fn new(tx: &'c Connection) -> TagWriter<'c> {
        TagWriter {
            tx,
            by_rows: Default::default(),
        }
    }

    /// Inserts `rows` for work `id`; a row whose tag the work already has is skipped.
    pub(super) fn insert<'a>(
        &mut self,
        id: i64,
        rows: impl IntoIterator<Item = TagRowRef<'a>>,
    ) -> rusqlite::Result<()> {
        let mut batch: Vec<TagRowRef> = Vec::with_capacity(ROWS_PER_INSERT);
        for row in rows {
            batch.push(row);
            if batch.len() == ROWS_PER_INSERT {
                self.flush(id, &mut batch)?;
            }
        }
        self.flush(id, &mut batch)
    }

    fn flush(&mut self, id: i64, batch: &mut Vec<TagRowRef>) -> rusqlite::Result<()> {
        let Some(slot) = batch.len().checked_sub(1) else {
            return Ok(());
        };
        let st = match &mut self.by_rows[slot] {
            Some(st) => st,
            empty => empty.insert(self.tx.prepare_cached(&insert_sql(batch.len()))?),
        };
        for (i, (tag, field, phrase, a, b)) in batch.drain(..).enumerate() {
            let at = i * 6;
            st.raw_bind_parameter(at + 1, id)?;
            st.raw_bind_parameter(at + 2, tag)?;
            st.raw_bind_parameter(at + 3, field)?;
            st.raw_bind_parameter(at + 4, phrase)?;
            st.raw_bind_parameter(at + 5, a)?;
            st.raw_bind_parameter(at + 6, b)?;
        }
        st.raw_execute().map(drop)
    }
}

/// The statement inserting `n` tag rows with their evidence.
fn insert_sql(n: usize) -> String {
    let mut sql = String::from(
        "INSERT OR IGNORE INTO tags (entry_id, tag, field, phrase, span_start, span_end) VALUES ",
    );
    for i in 0..n {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str("(?, ?, ?, ?, ?, ?)");
    }
    sql
}

/// Classifies one stored work and replaces its tagger-set tags when they changed,
/// inserting through `out`. Returns (added, removed).
pub(super) fn tag_work(
    tx: &Connection,
    out: &mut TagWriter,
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
    out.insert(id, rows)?;
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
            let mut out = TagWriter::new(tx);
            for id in ids {
                let (added, removed) = tag_work(tx, &mut out, id, tagger)?;
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
