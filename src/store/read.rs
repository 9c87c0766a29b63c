//! Read queries: `list` (newest first), `search` (FTS5 matching, BM25 ranking weighted
//! to the title) and `show`, with the shared filters.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, ToSql};
use serde::Serialize;

use super::feeds::ts;
use super::{Result, Store};

/// Filters shared by `list`, `search` and `export`.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Every tag must hold (`--tag`, and `--type T` as `type:T`).
    pub tags: Vec<String>,
    pub source: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub until: Option<DateTime<Utc>>,
    /// `None`: no limit.
    pub limit: Option<usize>,
    /// `--status S`: the work's current status (see [`super::STATUSES`]).
    pub status: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Link {
    pub rel: String,
    pub id: i64,
}

/// One row of `list`/`search`, in the JSON shape of interface.md.
#[derive(Debug, Clone, Serialize)]
pub struct EntrySummary {
    pub id: i64,
    pub title: String,
    pub link: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub journal: Option<String>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub pmcid: Option<String>,
    pub nct_id: Option<String>,
    pub sources: Vec<String>,
    pub tags: Vec<String>,
    pub links: Vec<Link>,
    /// The current status (see [`super::STATUSES`]), or None.
    pub status: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sighting {
    pub feed: String,
    pub guid: String,
    pub link: Option<String>,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub tag: String,
    pub field: Option<String>,
    pub phrase: Option<String>,
    pub span: Option<[i64; 2]>,
}

/// One entry whole, for `show`.
#[derive(Debug, Clone, Serialize)]
pub struct EntryDetail {
    #[serde(flatten)]
    pub summary: EntrySummary,
    pub updated: Option<DateTime<Utc>>,
    pub first_seen: Option<DateTime<Utc>>,
    pub authors: Vec<String>,
    #[serde(rename = "abstract")]
    pub abstract_: Option<String>,
    pub categories: Vec<String>,
    pub mesh: Vec<String>,
    pub publication_types: Vec<String>,
    pub seen_in: Vec<Sighting>,
    pub evidence: Vec<Evidence>,
    /// Status events, newest first.
    pub events: Vec<super::StatusEvent>,
}

pub(super) const SUMMARY_COLUMNS: &str =
    "e.id, e.title, e.link, e.published_at, e.journal, e.doi, e.pmid, e.pmcid, e.nct_id";

pub(super) fn summary_from_row(r: &Row) -> rusqlite::Result<EntrySummary> {
    let journal: String = r.get(4)?;
    Ok(EntrySummary {
        id: r.get(0)?,
        title: r.get(1)?,
        link: r.get(2)?,
        published: ts(r.get(3)?),
        journal: (!journal.is_empty()).then_some(journal),
        doi: r.get(5)?,
        pmid: r.get(6)?,
        pmcid: r.get(7)?,
        nct_id: r.get(8)?,
        sources: Vec::new(),
        tags: Vec::new(),
        links: Vec::new(),
        status: None,
    })
}

/// A JSON list column (categories, MeSH terms, publication types). A malformed list
/// reads as empty: one bad row must not cost the whole answer.
pub(super) fn json_list(r: &Row, i: usize) -> rusqlite::Result<Vec<String>> {
    let s: String = r.get(i)?;
    Ok(serde_json::from_str(&s).unwrap_or_default())
}

/// The rest of an entry, selected after [`SUMMARY_COLUMNS`] for [`detail_from_row`].
pub(super) const DETAIL_COLUMNS: &str = "e.updated_at, e.first_seen_at, e.authors, e.abstract,
    e.categories, e.mesh, e.publication_types";

/// An entry from a row of [`SUMMARY_COLUMNS`], [`DETAIL_COLUMNS`], without sightings
/// or evidence.
pub(super) fn detail_from_row(r: &Row) -> rusqlite::Result<EntryDetail> {
    let authors: String = r.get(11)?;
    let abstract_: String = r.get(12)?;
    Ok(EntryDetail {
        summary: summary_from_row(r)?,
        updated: ts(r.get(9)?),
        first_seen: ts(r.get(10)?),
        authors: authors.lines().map(str::to_owned).collect(),
        abstract_: (!abstract_.is_empty()).then_some(abstract_),
        categories: json_list(r, 13)?,
        mesh: json_list(r, 14)?,
        publication_types: json_list(r, 15)?,
        seen_in: Vec::new(),
        evidence: Vec::new(),
        events: Vec::new(),
    })
}

/// SQL conditions and their parameters for `f`, over the alias `e`.
pub(super) fn conditions(f: &Filters) -> (String, Vec<Box<dyn ToSql>>) {
    let mut sql = String::new();
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    for t in &f.tags {
        // A line of `entries.tags` starts with the tag's name and a tab (see
        // `tagging::encode`); the line break before the first is supplied.
        sql.push_str(" AND instr(char(10) || e.tags, char(10) || ? || char(9)) > 0");
        args.push(Box::new(t.clone()));
    }
    if let Some(s) = &f.source {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM sources s JOIN feeds fd ON fd.id = s.feed_id
                          WHERE s.entry_id = e.id AND fd.name = ?)",
        );
        args.push(Box::new(s.clone()));
    }
    if let Some(s) = &f.status {
        sql.push_str(&super::events::status_condition(s, &mut args));
    }
    if let Some(d) = f.since {
        sql.push_str(" AND e.sort_at >= ?");
        args.push(Box::new(d.timestamp()));
    }
    if let Some(d) = f.until {
        sql.push_str(" AND e.sort_at < ?");
        args.push(Box::new(d.timestamp()));
    }
    (sql, args)
}

/// How many of the newest matches `search` ranks when it has a limit: enough that
/// a query matching fewer is ranked exactly, few enough that ranking stays within
/// interactive latency on a million entries.
pub const RANK_WINDOW: usize = 1_000;

/// The most terms a search prefix is expanded to (see `Store::prefix_terms`).
const PREFIX_TERMS: usize = 16;

pub(super) fn limit_clause(f: &Filters) -> String {
    f.limit.map_or(String::new(), |n| format!(" LIMIT {n}"))
}

impl Store {
    /// Saved entries matching `f`, newest first (published date, else first seen).
    pub fn list(&self, f: &Filters) -> Result<Vec<EntrySummary>> {
        let (cond, args) = conditions(f);
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM entries e WHERE 1 = 1{cond}
             ORDER BY e.sort_at DESC, e.id DESC{}",
            limit_clause(f)
        );
        self.summaries(&sql, &args)
    }

    /// Full-text search over title, abstract, authors and journal, best match first.
    /// `query` is the user's query (see [`crate::query::fts_query`]).
    ///
    /// With a limit, the candidates are the [`RANK_WINDOW`] (or `limit`, if larger)
    /// most recently stored matches that pass the filters, ranked by BM25 (see
    /// [`super::rank`]); a query that matches fewer is ranked whole. Without a limit
    /// every match is ranked. Ties go to the newer entry.
    pub fn search(&self, query: &str, f: &Filters) -> Result<Vec<EntrySummary>> {
        self.attach_index()?;
        let Some(crate::query::FtsQuery { text, groups }) =
            crate::query::fts_query_expanding(query, |p| self.prefix_terms(p))
        else {
            return Ok(Vec::new());
        };
        // Only an expanded prefix gives several phrases one word.
        let merge = groups.windows(2).any(|w| w[0] == w[1]);
        let (cond, mut args) = conditions(f);
        args.insert(0, Box::new(text));
        let window = f
            .limit
            .map_or(String::new(), |n| format!(" LIMIT {}", n.max(RANK_WINDOW)));
        // The FTS5 cursor drives the join, newest rowid first, so a window stops the
        // scan early; the filters are checked per candidate.
        let sql = format!(
            "SELECT e.id, e.sort_at, {hits}(entries_fts) FROM entries_fts
             JOIN entries e ON e.id = entries_fts.rowid
             WHERE entries_fts MATCH ?{cond} ORDER BY entries_fts.rowid DESC{window}",
            hits = super::rank::HITS
        );
        let run = || -> rusqlite::Result<Vec<EntrySummary>> {
            let mut st = self.conn.prepare(&sql)?;
            let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
            let mut keys: Vec<(i64, i64)> = Vec::new();
            let mut hits: Vec<super::rank::Hits> = Vec::new();
            let mut rows = st.query(params.as_slice())?;
            while let Some(r) = rows.next()? {
                let blob: Vec<u8> = r.get(2)?;
                let mut h = super::rank::Hits::decode(&blob).ok_or_else(|| {
                    rusqlite::Error::InvalidColumnType(
                        2,
                        super::rank::HITS.into(),
                        rusqlite::types::Type::Blob,
                    )
                })?;
                if merge {
                    h.merge_phrases(&groups);
                }
                keys.push((r.get(0)?, r.get(1)?));
                hits.push(h);
            }
            let scores = super::rank::bm25(&hits);
            let mut order: Vec<usize> = (0..keys.len()).collect();
            order.sort_by(|&a, &b| {
                scores[b]
                    .total_cmp(&scores[a])
                    .then(keys[b].1.cmp(&keys[a].1))
                    .then(keys[b].0.cmp(&keys[a].0))
            });
            order.truncate(f.limit.unwrap_or(usize::MAX));
            let mut one = self.conn.prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM entries e WHERE e.id = ?1"
            ))?;
            let mut out = Vec::with_capacity(order.len());
            for i in order {
                let mut s = one.query_row([keys[i].0], summary_from_row)?;
                self.decorate(&mut s)?;
                out.push(s);
            }
            Ok(out)
        };
        run().map_err(|e| self.err(e))
    }

    /// The indexed terms that start with `prefix` (ASCII, lower case), or None when
    /// there are none or more than [`PREFIX_TERMS`] (FTS5's own prefix matching is then
    /// no slower than their OR). Each term costs one seek in the index vocabulary.
    fn prefix_terms(&self, prefix: &str) -> Option<Vec<String>> {
        let mut upper = prefix.to_owned();
        // ASCII letters and digits: the successor of the last byte is ASCII too.
        let last = upper.pop()?;
        upper.push(char::from(last as u8 + 1));
        let mut st = self
            .conn
            .prepare_cached("SELECT term FROM entries_terms WHERE term >= ?1 AND term < ?2 LIMIT 1")
            .ok()?;
        let mut terms: Vec<String> = Vec::new();
        let mut from = prefix.to_owned();
        // A failed lookup leaves the prefix to FTS5, which gives the same matches.
        while let Some(term) = st
            .query_row([&from, &upper], |r| r.get::<_, String>(0))
            .optional()
            .ok()?
        {
            if terms.len() == PREFIX_TERMS {
                return None;
            }
            // Tokens never hold control characters, so the next term is at least this.
            from = format!("{term}\u{1}");
            terms.push(term);
        }
        (!terms.is_empty()).then_some(terms)
    }

    fn summaries(&self, sql: &str, args: &[Box<dyn ToSql>]) -> Result<Vec<EntrySummary>> {
        let run = || -> rusqlite::Result<Vec<EntrySummary>> {
            let mut st = self.conn.prepare(sql)?;
            let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
            let mut rows: Vec<EntrySummary> = st
                .query_map(params.as_slice(), summary_from_row)?
                .collect::<rusqlite::Result<_>>()?;
            for r in &mut rows {
                self.decorate(r)?;
            }
            Ok(rows)
        };
        run().map_err(|e| self.err(e))
    }

    /// Fills a summary's sources, tags and links.
    fn decorate(&self, r: &mut EntrySummary) -> rusqlite::Result<()> {
        r.sources = self
            .conn
            .prepare_cached(
                "SELECT f.name FROM sources s JOIN feeds f ON f.id = s.feed_id
                 WHERE s.entry_id = ?1 GROUP BY f.name ORDER BY MIN(s.first_seen_at), f.name",
            )?
            .query_map([r.id], |x| x.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        r.tags = super::tagging::names(&super::tagging::stored(&self.conn, r.id)?)
            .map(str::to_owned)
            .collect();
        r.links = self
            .conn
            .prepare_cached("SELECT rel, to_id FROM links WHERE from_id = ?1 ORDER BY rel, to_id")?
            .query_map([r.id], |x| {
                Ok(Link {
                    rel: x.get(0)?,
                    id: x.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        r.status = self.status_by_id(r.id)?;
        Ok(())
    }

    /// One entry whole, or None.
    pub fn show(&self, id: i64) -> Result<Option<EntryDetail>> {
        let run = || -> rusqlite::Result<Option<EntryDetail>> {
            let row = self
                .conn
                .query_row(
                    &format!(
                        "SELECT {SUMMARY_COLUMNS}, {DETAIL_COLUMNS} FROM entries e WHERE e.id = ?1"
                    ),
                    [id],
                    detail_from_row,
                )
                .optional()?;
            let Some(mut d) = row else { return Ok(None) };
            self.decorate(&mut d.summary)?;
            d.seen_in = self
                .conn
                .prepare(
                    "SELECT f.name, s.guid, s.link, s.first_seen_at, s.last_seen_at
                     FROM sources s JOIN feeds f ON f.id = s.feed_id
                     WHERE s.entry_id = ?1 ORDER BY s.first_seen_at, s.id",
                )?
                .query_map([id], |r| {
                    Ok(Sighting {
                        feed: r.get(0)?,
                        guid: r.get(1)?,
                        link: r.get(2)?,
                        first_seen: ts(r.get(3)?),
                        last_seen: ts(r.get(4)?),
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            d.evidence = super::tagging::decode(&super::tagging::stored(&self.conn, id)?);
            d.events = self.events_of(id)?;
            Ok(Some(d))
        };
        run().map_err(|e| self.err(e))
    }

    /// Number of stored works.
    pub fn count_entries(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}
