//! Ingest: turning a feed's entries into works and sightings. A sighting whose DOI,
//! PMID or PMCID (or, for registrations, NCT id) matches a stored work joins it; one
//! that links two works merges them. Richer sources fill what poorer ones lack, and
//! no non-empty field is ever blanked.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{CachedStatement, Connection, OptionalExtension, Row, ToSql, params};
use serde::Serialize;

use super::tagging::{self, TagRef};
use crate::dedup::{content_hash, source_key};
use crate::model::{RawEntry, WorkLink};
use crate::tag::{Classification, Tagger};

/// What one ingest did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct IngestStats {
    /// Works seen for the first time.
    pub new: usize,
    /// New sightings that joined a work already stored from another feed.
    pub merged: usize,
    /// Sightings seen before whose content changed.
    pub updated: usize,
    pub unchanged: usize,
    /// Entries refused by the feed's filter.
    pub filtered_out: usize,
    /// Sightings stored for the first time (new + merged).
    pub new_sightings: usize,
    /// Status events stored for the first time (see [`super::events`]).
    #[serde(skip)]
    pub events: Vec<super::events::Change>,
}

/// What the pipeline works out for an entry before the writer sees it, on any core:
/// its key within its feed, its content hash and its tags should it make a new work
/// (the tagger's verdict and what its source states, as stored). The single writer is
/// a pass's critical path, so it only writes.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub key: String,
    pub hash: String,
    /// `None` leaves classifying to the writer, should the entry make a new work (one
    /// that joins a stored work is classified from the joined fields in any case).
    pub tags: Option<String>,
}

impl Prepared {
    /// For an entry the tagger has judged already.
    pub fn with_verdict(e: &RawEntry, verdict: Classification) -> Prepared {
        let tags = tagging::encode(tagging::verdict_rows(&verdict).chain(tagging::source_rows(e)));
        Prepared {
            tags: Some(tags),
            ..Prepared::without_verdict(e)
        }
    }

    /// For an entry that most likely joins a stored work (see `tags`).
    pub fn without_verdict(e: &RawEntry) -> Prepared {
        Prepared {
            key: source_key(e),
            hash: content_hash(e),
            tags: None,
        }
    }
}

/// The fields of a work the tagger reads (see [`Fields::tag_inputs`]).
#[derive(PartialEq)]
pub(super) struct TagInputs<'a> {
    pub(super) title: &'a str,
    pub(super) abstract_: &'a str,
    pub(super) mesh: &'a [String],
    pub(super) categories: &'a [String],
    pub(super) publication_types: &'a [String],
}

impl<'a> TagInputs<'a> {
    /// What the tagger reads of an entry, borrowed: the same values the work stored
    /// from it would give ([`Fields::from_entry`] takes its copies from here), without
    /// copying the abstract to classify it on a parsing thread.
    pub(super) fn of_entry(e: &'a RawEntry) -> TagInputs<'a> {
        TagInputs {
            title: e.title.as_deref().unwrap_or("").trim(),
            abstract_: e.summary.as_deref().unwrap_or("").trim(),
            mesh: &e.mesh,
            categories: &e.categories,
            publication_types: &e.publication_types,
        }
    }
}

/// The stored fields of a work.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Fields {
    pub(super) doi: Option<String>,
    pub(super) pmid: Option<String>,
    pub(super) pmcid: Option<String>,
    pub(super) nct_id: Option<String>,
    pub(super) title: String,
    pub(super) abstract_: String,
    pub(super) authors: Vec<String>,
    pub(super) journal: String,
    pub(super) link: Option<String>,
    pub(super) published: Option<i64>,
    pub(super) updated: Option<i64>,
    pub(super) first_seen: i64,
    pub(super) categories: Vec<String>,
    pub(super) mesh: Vec<String>,
    pub(super) publication_types: Vec<String>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Fields {
    pub(super) fn from_entry(e: &RawEntry, now: i64) -> Fields {
        let t = TagInputs::of_entry(e);
        Fields {
            doi: nonempty(&e.doi),
            pmid: nonempty(&e.pmid),
            pmcid: nonempty(&e.pmcid),
            nct_id: nonempty(&e.nct_id),
            title: t.title.to_string(),
            abstract_: t.abstract_.to_string(),
            authors: e.authors.clone(),
            journal: e.journal.as_deref().unwrap_or("").trim().to_string(),
            link: nonempty(&e.link),
            published: e.published.map(|d| d.timestamp()),
            updated: e.updated.map(|d| d.timestamp()),
            first_seen: now,
            categories: t.categories.to_vec(),
            mesh: t.mesh.to_vec(),
            publication_types: t.publication_types.to_vec(),
        }
    }

    /// A work from a row of [`FIELD_COLUMNS`], by position (looking columns up by
    /// name cost a string comparison per column per row).
    fn from_row(r: &Row) -> rusqlite::Result<Fields> {
        let list = |i| super::read::json_list(r, i);
        let authors: String = r.get(6)?;
        Ok(Fields {
            doi: r.get(0)?,
            pmid: r.get(1)?,
            pmcid: r.get(2)?,
            nct_id: r.get(3)?,
            title: r.get(4)?,
            abstract_: r.get(5)?,
            authors: authors.lines().map(str::to_owned).collect(),
            journal: r.get(7)?,
            link: r.get(8)?,
            published: r.get(9)?,
            updated: r.get(10)?,
            first_seen: r.get(11)?,
            categories: list(12)?,
            mesh: list(13)?,
            publication_types: list(14)?,
        })
    }

    /// What the tagger reads of a work, and nothing else (`tagging::classify` takes
    /// its input from here): a merge that leaves these alone leaves the tags alone.
    pub(super) fn tag_inputs(&self) -> TagInputs<'_> {
        TagInputs {
            title: &self.title,
            abstract_: &self.abstract_,
            mesh: &self.mesh,
            categories: &self.categories,
            publication_types: &self.publication_types,
        }
    }

    fn has_strong_id(&self) -> bool {
        self.doi.is_some() || self.pmid.is_some() || self.pmcid.is_some()
    }

    /// Fills what `self` lacks from `other`.
    fn fill_from(&mut self, other: &Fields) {
        fn gap(mine: &mut Option<String>, theirs: &Option<String>) {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
        gap(&mut self.doi, &other.doi);
        gap(&mut self.pmid, &other.pmid);
        gap(&mut self.pmcid, &other.pmcid);
        gap(&mut self.nct_id, &other.nct_id);
        gap(&mut self.link, &other.link);
        if self.title.is_empty() {
            self.title.clone_from(&other.title);
        }
        if self.journal.is_empty() {
            self.journal.clone_from(&other.journal);
        }
        // A table-of-contents blurb is shorter than the real abstract PubMed sends:
        // the fuller text is the richer source.
        if other.abstract_.len() > self.abstract_.len() {
            self.abstract_.clone_from(&other.abstract_);
        }
        if self.authors.is_empty() {
            self.authors.clone_from(&other.authors);
        }
        if self.mesh.is_empty() {
            self.mesh.clone_from(&other.mesh);
        }
        for (mine, theirs) in [
            (&mut self.categories, &other.categories),
            (&mut self.publication_types, &other.publication_types),
        ] {
            for c in theirs {
                if !mine.contains(c) {
                    mine.push(c.clone());
                }
            }
        }
        self.published = self.published.or(other.published);
        self.updated = self.updated.max(other.updated);
        self.first_seen = self.first_seen.min(other.first_seen);
    }

    fn sort_at(&self) -> i64 {
        self.published.unwrap_or(self.first_seen)
    }
}

fn json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// The columns [`Fields::from_row`] reads, in its order.
const FIELD_COLUMNS: &str = "doi, pmid, pmcid, nct_id, title, abstract, authors, journal, link,
    published_at, updated_at, first_seen_at, categories, mesh, publication_types";

pub(super) fn load(tx: &Connection, id: i64) -> rusqlite::Result<Fields> {
    tx.prepare_cached(&format!(
        "SELECT {FIELD_COLUMNS} FROM entries WHERE id = ?1"
    ))?
    .query_row([id], Fields::from_row)
}

/// Binds every stored field of `f` as ?1..?16 and its stored tags as ?17 (in the
/// order of the insert in [`Hot::prepare`]) and runs `run` with them. Positional, not
/// named: resolving names was a measurable share of every insert.
fn with_params<T>(
    f: &Fields,
    tags: &str,
    run: impl FnOnce(&[&dyn ToSql]) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let (authors, sort_at) = (f.authors.join("\n"), f.sort_at());
    let lists = [
        json(&f.categories),
        json(&f.mesh),
        json(&f.publication_types),
    ];
    run(&[
        &f.doi,
        &f.pmid,
        &f.pmcid,
        &f.nct_id,
        &f.title,
        &f.abstract_,
        &authors,
        &f.journal,
        &f.link,
        &f.published,
        &f.updated,
        &f.first_seen,
        &sort_at,
        &lists[0],
        &lists[1],
        &lists[2],
        &tags,
    ])
}

/// The statements ingest runs for nearly every entry, taken from the statement cache
/// once an ingest rather than once a use: each use hashed the SQL text twice (taking
/// the statement out and putting it back), a tenth of the writer's ingest work.
struct Hot<'c> {
    tx: &'c Connection,
    /// A sighting by feed and key.
    seen: CachedStatement<'c>,
    insert_entry: CachedStatement<'c>,
    /// Queues a new entry for the full-text index.
    queue: CachedStatement<'c>,
    insert_source: CachedStatement<'c>,
    /// A work by DOI, PMID and PMCID.
    by_id: [CachedStatement<'c>; 3],
}

impl<'c> Hot<'c> {
    fn prepare(tx: &'c Connection) -> rusqlite::Result<Hot<'c>> {
        Ok(Hot {
            tx,
            seen: tx.prepare_cached(
                "SELECT id, entry_id, content_hash FROM sources WHERE feed_id = ?1 AND guid = ?2",
            )?,
            insert_entry: tx.prepare_cached(
                "INSERT INTO entries (doi, pmid, pmcid, nct_id, title, abstract, authors, journal, link,
                     published_at, updated_at, first_seen_at, sort_at, categories, mesh, publication_types, tags)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?,
            queue: tx.prepare_cached("INSERT INTO fts_log (id) VALUES (?1)")?,
            insert_source: tx.prepare_cached(
                "INSERT INTO sources (entry_id, feed_id, guid, link, content_hash, first_seen_at, last_seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            )?,
            by_id: [
                tx.prepare_cached("SELECT id FROM entries WHERE doi = ?1")?,
                tx.prepare_cached("SELECT id FROM entries WHERE pmid = ?1")?,
                tx.prepare_cached("SELECT id FROM entries WHERE pmcid = ?1")?,
            ],
        })
    }
}

/// Inserts a new work with its stored tags (see `tagging::encode`).
fn insert(hot: &mut Hot, f: &Fields, tags: &str) -> rusqlite::Result<i64> {
    with_params(f, tags, |p| hot.insert_entry.execute(p))?;
    let id = hot.tx.last_insert_rowid();
    // Logged for the index here rather than by a trigger (see migration 0006).
    hot.queue.execute([id])?;
    Ok(id)
}

/// Writes back the fields of work `id` that differ from `stored`, its row as read.
/// Only those: an UPDATE rewrites every index on a column it names, and fires the
/// triggers watching it, whether or not the value changed; a merge mostly adds an
/// identifier or a category, and naming all sixteen columns kept five indexes busy.
fn save(tx: &Connection, id: i64, stored: &Fields, f: &Fields) -> rusqlite::Result<()> {
    fn set<'a, T: ToSql + PartialEq>(
        cols: &mut Vec<(&'static str, &'a dyn ToSql)>,
        col: &'static str,
        new: &'a T,
        old: &T,
    ) {
        if new != old {
            cols.push((col, new));
        }
    }
    // Text made for the columns that changed only: most merges change one or two.
    let authors = (f.authors != stored.authors).then(|| f.authors.join("\n"));
    let lists = [
        ("categories", &f.categories, &stored.categories),
        ("mesh", &f.mesh, &stored.mesh),
        (
            "publication_types",
            &f.publication_types,
            &stored.publication_types,
        ),
    ]
    .map(|(col, new, old)| (col, (new != old).then(|| json(new))));
    let sort_at = f.sort_at();
    let mut cols: Vec<(&'static str, &dyn ToSql)> = Vec::new();
    set(&mut cols, "doi", &f.doi, &stored.doi);
    set(&mut cols, "pmid", &f.pmid, &stored.pmid);
    set(&mut cols, "pmcid", &f.pmcid, &stored.pmcid);
    set(&mut cols, "nct_id", &f.nct_id, &stored.nct_id);
    set(&mut cols, "title", &f.title, &stored.title);
    set(&mut cols, "abstract", &f.abstract_, &stored.abstract_);
    if let Some(a) = &authors {
        cols.push(("authors", a));
    }
    set(&mut cols, "journal", &f.journal, &stored.journal);
    set(&mut cols, "link", &f.link, &stored.link);
    set(&mut cols, "published_at", &f.published, &stored.published);
    set(&mut cols, "updated_at", &f.updated, &stored.updated);
    set(
        &mut cols,
        "first_seen_at",
        &f.first_seen,
        &stored.first_seen,
    );
    set(&mut cols, "sort_at", &sort_at, &stored.sort_at());
    for (col, text) in &lists {
        if let Some(t) = text {
            cols.push((col, t));
        }
    }
    if cols.is_empty() {
        return Ok(());
    }
    let mut sql = String::from("UPDATE entries SET ");
    for (i, (col, _)) in cols.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("{col} = ?{}", i + 1));
    }
    sql.push_str(&format!(" WHERE id = ?{}", cols.len() + 1));
    let mut params: Vec<&dyn ToSql> = cols.iter().map(|(_, v)| *v).collect();
    params.push(&id);
    tx.prepare_cached(&sql)?.execute(&params[..]).map(drop)
}

/// The stored works that share an identifier with `f`, lowest id first. One indexed
/// lookup per identifier: an OR or UNION over bound values makes SQLite re-plan.
fn matching_works(hot: &mut Hot, f: &Fields) -> rusqlite::Result<Vec<i64>> {
    let mut ids: Vec<i64> = Vec::new();
    if f.has_strong_id() {
        for (st, value) in hot.by_id.iter_mut().zip([&f.doi, &f.pmid, &f.pmcid]) {
            if let Some(v) = value
                && let Some(id) = st.query_row([v], |r| r.get(0)).optional()?
            {
                ids.push(id);
            }
        }
    } else if let Some(nct) = &f.nct_id {
        // A registration is identified by its NCT id, but a paper that merely
        // reports the trial (and has a DOI/PMID) is a different work.
        ids = hot
            .tx
            .prepare_cached(
                "SELECT id FROM entries WHERE nct_id = ?1 AND doi IS NULL AND pmid IS NULL AND pmcid IS NULL",
            )?
            .query_map([nct], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Folds work `other` into work `keep`: sightings, tags and links move over (of a tag
/// both have, `keep`'s evidence stays), then
/// `other` is deleted and its fields fill `keep`'s gaps. Everything that pointed at
/// `other` is moved or deleted here rather than by the schema's cascades: the
/// pipeline's writer runs without foreign key checks (see [`Store::set_key_checks`]).
fn merge_works(tx: &Connection, keep: i64, other: i64) -> rusqlite::Result<Fields> {
    let theirs = load(tx, other)?;
    tx.execute(
        "UPDATE sources SET entry_id = ?1 WHERE entry_id = ?2",
        [keep, other],
    )?;
    let theirs_tags = tagging::decode(&tagging::stored(tx, other)?);
    tagging::add(tx, keep, theirs_tags.iter().map(TagRef::of))?;
    tx.execute(
        "INSERT OR IGNORE INTO links (from_id, rel, to_id)
         SELECT CASE from_id WHEN ?2 THEN ?1 ELSE from_id END, rel, CASE to_id WHEN ?2 THEN ?1 ELSE to_id END
         FROM links WHERE (from_id = ?2 OR to_id = ?2)",
        [keep, other],
    )?;
    tx.prepare_cached(
        "DELETE FROM links WHERE from_id = ?2 OR to_id = ?2 OR (from_id = ?1 AND to_id = ?1)",
    )?
    .execute([keep, other])?;
    super::events::follow_merge(tx, keep, other)?;
    // Delete first: its identifiers must leave the unique indexes before `keep` takes them.
    tx.execute("DELETE FROM entries WHERE id = ?1", [other])?;
    Ok(theirs)
}

/// A stored work an incoming sighting joined.
struct Resolved {
    id: i64,
    /// The works folded into it, now deleted.
    merged: Vec<i64>,
    /// What linking reads of it, as stored now.
    keys: LinkKeys,
    /// Whether the tagger's input changed (the fields it reads, or the works the work
    /// is made of), so its tags may have. A sighting that only confirms what is
    /// stored, or adds what the tagger never reads, leaves them.
    retag: bool,
}

impl Resolved {
    /// Records the work among those this ingest touched, in place of the works folded
    /// into it. Returns its id.
    fn track(self, touched: &mut BTreeMap<i64, LinkKeys>) -> i64 {
        for gone in &self.merged {
            touched.remove(gone);
        }
        touched.insert(self.id, self.keys);
        self.id
    }
}

/// Joins `incoming` to the work(s) it matches (plus `known`, the work its sighting
/// already points to), merging them into one. Returns the work, or None if new.
fn resolve(
    hot: &mut Hot,
    known: Option<i64>,
    incoming: &Fields,
) -> rusqlite::Result<Option<Resolved>> {
    let mut ids = matching_works(hot, incoming)?;
    let tx = hot.tx;
    if let Some(k) = known {
        ids.push(k);
        ids.sort_unstable();
        ids.dedup();
    }
    let Some((&keep, rest)) = ids.split_first() else {
        return Ok(None);
    };
    let mut fields = load(tx, keep)?;
    let stored = fields.clone();
    for &other in rest {
        fields.fill_from(&merge_works(tx, keep, other)?);
    }
    fields.fill_from(incoming);
    // Writes nothing when nothing changed.
    save(tx, keep, &stored, &fields)?;
    Ok(Some(Resolved {
        id: keep,
        merged: rest.to_vec(),
        keys: LinkKeys::of(&fields),
        retag: !rest.is_empty() || fields.tag_inputs() != stored.tag_inputs(),
    }))
}

pub(super) fn ingest(
    tx: &Connection,
    feed_id: i64,
    entries: &[RawEntry],
    links: &[WorkLink],
    tagger: Option<&Tagger>,
    prepared: &[Prepared],
    now: DateTime<Utc>,
) -> rusqlite::Result<IngestStats> {
    let now = now.timestamp();
    let mut stats = IngestStats::default();
    let mut hot = Hot::prepare(tx)?;
    // The works this ingest wrote, with what linking needs of each as it now stands:
    // carried along rather than read back.
    let mut touched: BTreeMap<i64, LinkKeys> = BTreeMap::new();
    // Works whose tags must be computed here; a new work with a prepared verdict (one
    // per entry, from the pipeline) is tagged from it instead.
    let mut to_tag: Vec<i64> = Vec::new();
    // A feed never stored before (every feed, in a first pass) can only hold the
    // sightings this ingest adds, so its keys are looked up here rather than in the
    // table: a seek per entry saved, a tenth of what a new sighting costs the writer.
    let mut fresh: Option<HashSet<String>> = (!tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM sources WHERE feed_id = ?1)")?
        .query_row([feed_id], |r| r.get::<_, bool>(0))?)
    .then(HashSet::new);
    for (i, e) in entries.iter().enumerate() {
        let pre = prepared.get(i);
        let (key, hash) = match pre {
            Some(p) => (
                Cow::Borrowed(p.key.as_str()),
                Cow::Borrowed(p.hash.as_str()),
            ),
            None => (Cow::Owned(source_key(e)), Cow::Owned(content_hash(e))),
        };
        let stored = match &mut fresh {
            Some(keys) => !keys.insert(key.to_string()),
            None => true,
        };
        let seen: Option<(i64, i64, String)> = if stored {
            hot.seen
                .query_row(params![feed_id, key], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?
        } else {
            None
        };
        match seen {
            Some((source_id, _, old)) if old == hash => {
                tx.prepare_cached("UPDATE sources SET last_seen_at = ?2 WHERE id = ?1")?
                    .execute([source_id, now])?;
                stats.unchanged += 1;
                continue;
            }
            Some((source_id, work, _)) => {
                let incoming = Fields::from_entry(e, now);
                // The sighting's own work is among those resolved: loading it either
                // finds it or fails, so there is always a work here.
                let r = resolve(&mut hot, Some(work), &incoming)?
                    .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                let changed = r.retag;
                let work = r.track(&mut touched);
                tx.prepare_cached(
                    "UPDATE sources SET entry_id = ?2, link = ?3, content_hash = ?4, last_seen_at = ?5 WHERE id = ?1",
                )?
                .execute(params![source_id, work, e.link, hash, now])?;
                stats.updated += 1;
                if changed {
                    to_tag.push(work);
                }
                tagging::add(tx, work, tagging::source_rows(e))?;
            }
            None => {
                let incoming = Fields::from_entry(e, now);
                let work = match resolve(&mut hot, None, &incoming)? {
                    Some(w) => {
                        stats.merged += 1;
                        // Tags follow from the fields alone: a sighting that added
                        // nothing leaves them as they are.
                        if w.retag {
                            to_tag.push(w.id);
                        }
                        let work = w.track(&mut touched);
                        tagging::add(tx, work, tagging::source_rows(e))?;
                        work
                    }
                    None => {
                        stats.new += 1;
                        // The tags go in with the work: the verdict prepared for it,
                        // else only what its source states until it is classified below.
                        let prepared = pre
                            .and_then(|p| p.tags.as_deref())
                            .filter(|_| tagger.is_some());
                        let tags = match prepared {
                            Some(t) => Cow::Borrowed(t),
                            None => Cow::Owned(tagging::encode(tagging::source_rows(e))),
                        };
                        let w = insert(&mut hot, &incoming, &tags)?;
                        if prepared.is_none() {
                            to_tag.push(w);
                        }
                        touched.insert(w, LinkKeys::of(&incoming));
                        w
                    }
                };
                hot.insert_source
                    .execute(params![work, feed_id, key, e.link, hash, now])?;
                stats.new_sightings += 1;
            }
        }
    }
    link_works(tx, &touched, links)?;
    stats.events = super::events::record(tx, feed_id, entries, now)?;
    if let Some(tagger) = tagger {
        to_tag.sort_unstable();
        to_tag.dedup();
        for id in to_tag {
            // A later sighting in this ingest may have merged the work away.
            let exists: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM entries WHERE id = ?1)")?
                .query_row([id], |r| r.get(0))?;
            if exists {
                tagging::tag_work(tx, id, tagger)?;
            }
        }
    }
    Ok(stats)
}

/// Both directions of a link; `rel` names what the linked work is to this one.
fn link_pair(tx: &Connection, a: i64, rel_a: &str, b: i64, rel_b: &str) -> rusqlite::Result<()> {
    if a == b {
        return Ok(());
    }
    let mut st =
        tx.prepare_cached("INSERT OR IGNORE INTO links (from_id, rel, to_id) VALUES (?1, ?2, ?3)")?;
    st.execute(params![a, rel_a, b])?;
    st.execute(params![b, rel_b, a])?;
    Ok(())
}

/// What [`link_works`] needs of a stored work: its DOI, whether it has a strong
/// identifier, and the NCT ids it names (its own and any `nct:` categories, further
/// trials a PubMed record lists). Taken from the fields ingest writes, not read back.
struct LinkKeys {
    doi: Option<String>,
    strong: bool,
    nct_ids: Vec<String>,
}

impl LinkKeys {
    fn of(f: &Fields) -> LinkKeys {
        let mut nct_ids: Vec<String> = f.nct_id.iter().cloned().collect();
        nct_ids.extend(
            f.categories
                .iter()
                .filter_map(|c| c.strip_prefix("nct:"))
                .map(str::to_owned),
        );
        nct_ids.sort();
        nct_ids.dedup();
        LinkKeys {
            doi: f.doi.clone(),
            strong: f.has_strong_id(),
            nct_ids,
        }
    }
}

/// Joins works that belong together but stay separate: a preprint and its journal
/// version (by DOI, remembered until both are stored), and a trial registration and
/// the papers that report it (by NCT id). `touched` holds the works to link from.
fn link_works(
    tx: &Connection,
    touched: &BTreeMap<i64, LinkKeys>,
    links: &[WorkLink],
) -> rusqlite::Result<()> {
    for l in links {
        let (Some(from), Some(to)) = (
            crate::normalize::normalize_doi(&l.from_doi),
            crate::normalize::normalize_doi(&l.to_doi),
        ) else {
            continue;
        };
        tx.prepare_cached(
            "INSERT OR IGNORE INTO doi_links (from_doi, rel, to_doi) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![from, l.rel, to])?;
    }
    let any_doi_links: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM doi_links)")?
        .query_row([], |r| r.get(0))?;
    for (&id, f) in touched {
        if let Some(doi) = f.doi.as_ref().filter(|_| any_doi_links) {
            // Two lookups rather than one OR, for the same reason as in matching_works.
            for sql in [
                "SELECT p.id, j.id FROM doi_links d
                 JOIN entries p ON p.doi = d.from_doi JOIN entries j ON j.doi = d.to_doi
                 WHERE d.from_doi = ?1 AND d.rel = 'published-as'",
                "SELECT p.id, j.id FROM doi_links d
                 JOIN entries p ON p.doi = d.from_doi JOIN entries j ON j.doi = d.to_doi
                 WHERE d.to_doi = ?1 AND d.rel = 'published-as'",
            ] {
                let pairs: Vec<(i64, i64)> = tx
                    .prepare_cached(sql)?
                    .query_map([doi], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                for (preprint, journal) in pairs {
                    link_pair(tx, preprint, "published-as", journal, "preprint-of")?;
                }
            }
        }
        for nct in &f.nct_ids {
            if f.strong {
                let regs: Vec<i64> = tx
                    .prepare_cached(
                        "SELECT id FROM entries WHERE nct_id = ?1 AND doi IS NULL AND pmid IS NULL AND pmcid IS NULL",
                    )?
                    .query_map([&nct], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                for reg in regs {
                    link_pair(tx, id, "registration", reg, "report")?;
                }
            } else {
                let pattern = format!("%\"nct:{nct}\"%");
                let papers: Vec<i64> = tx
                    .prepare_cached(
                        "SELECT id FROM entries
                         WHERE (nct_id = ?1 OR categories LIKE ?2)
                           AND (doi IS NOT NULL OR pmid IS NOT NULL OR pmcid IS NOT NULL)",
                    )?
                    .query_map(params![nct, pattern], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                for paper in papers {
                    link_pair(tx, paper, "registration", id, "report")?;
                }
            }
        }
    }
    Ok(())
}
