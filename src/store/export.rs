//! Bulk reads for getting the literature out: whole entries in batches (export, feeds),
//! citation-key inputs over the whole database, the counts behind `stats`, and a
//! read-only open for `serve`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};
use rusqlite::{Connection, OpenFlags, ToSql};
use serde::Serialize;

use super::feeds::ts;
use super::read::{DETAIL_COLUMNS, SUMMARY_COLUMNS, conditions, detail_from_row, limit_clause};
use super::{EntryDetail, Filters, Link, MIGRATIONS, Result, Store, StoreError};

/// What a citation key is made of, for every stored entry (see `export::keys`).
#[derive(Debug, Clone)]
pub struct KeyBasis {
    pub id: i64,
    pub first_author: Option<String>,
    pub year: Option<i32>,
    pub title: String,
}

/// Counts for `ketlit stats`; months are `YYYY-MM` of the publication date (else first seen).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub total: i64,
    pub by_tag: Vec<(String, i64)>,
    pub by_source: Vec<(String, i64)>,
    pub by_month: Vec<(String, i64)>,
    /// (month, tag, count) for every tag without a `prefix:`, i.e. the condition tags.
    pub by_month_condition: Vec<(String, String, i64)>,
}

impl Store {
    /// Opens an existing database for reading only: `serve` must never write, and must not
    /// create an empty database where the user mistyped a path.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        let shown = path.display().to_string();
        if !path.is_file() {
            return Err(StoreError::Other {
                path: shown,
                message: "no database here (run `ketlit fetch` first, or pass --db)".into(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| StoreError::Sqlite {
                path: shown.clone(),
                source,
            })?;
        let mut store = Store::over(conn, path);
        store.read_only = true;
        store
            .conn
            .busy_timeout(Duration::from_secs(30))
            .and_then(|()| store.stable_plans())
            .map_err(|e| store.err(e))?;
        let version = store.schema_version().map_err(|_| StoreError::Other {
            path: shown.clone(),
            message: "not a ketlit database (file is not SQLite)".into(),
        })?;
        let known = MIGRATIONS.len() as i64;
        if version != known {
            return Err(StoreError::Other {
                path: shown,
                message: format!(
                    "database schema version {version}, this ketlit expects {known}; \
                     run `ketlit feeds list` once to migrate it (or upgrade ketlit)"
                ),
            });
        }
        super::rank::register(&store.conn).map_err(|e| store.err(e))?;
        Ok(store)
    }

    /// Whole entries matching `f`, newest first, in a fixed number of queries.
    /// Sightings and evidence are left empty: exports do not carry them.
    pub fn details(&self, f: &Filters) -> Result<Vec<EntryDetail>> {
        let (cond, args) = conditions(f);
        let sql = format!(
            "SELECT e.id FROM entries e WHERE 1 = 1{cond} ORDER BY e.sort_at DESC, e.id DESC{}",
            limit_clause(f)
        );
        let ids = self.ids(&sql, &args)?;
        self.details_by_ids(&ids)
    }

    /// Whole entries for `ids`, in that order; unknown ids are skipped.
    pub fn details_by_ids(&self, ids: &[i64]) -> Result<Vec<EntryDetail>> {
        let run = || -> rusqlite::Result<Vec<EntryDetail>> {
            let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
            let mut by_id: HashMap<i64, EntryDetail> = HashMap::new();
            let mut st = self.conn.prepare(&format!(
                "SELECT {SUMMARY_COLUMNS}, {DETAIL_COLUMNS} FROM entries e
                 WHERE e.id IN (SELECT value FROM json_each(?1))"
            ))?;
            let rows = st.query_map([&json], detail_from_row)?;
            for d in rows {
                let mut d = d?;
                // Exports never carry a blank author.
                d.authors = d
                    .authors
                    .iter()
                    .map(|a| a.trim())
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned)
                    .collect();
                by_id.insert(d.summary.id, d);
            }
            let mut st = self.conn.prepare(
                "SELECT s.entry_id, f.name FROM sources s JOIN feeds f ON f.id = s.feed_id
                 WHERE s.entry_id IN (SELECT value FROM json_each(?1))
                 GROUP BY s.entry_id, f.name ORDER BY s.entry_id, MIN(s.first_seen_at), f.name",
            )?;
            let mut rows = st.query([&json])?;
            while let Some(r) = rows.next()? {
                if let Some(d) = by_id.get_mut(&r.get::<_, i64>(0)?) {
                    d.summary.sources.push(r.get(1)?);
                }
            }
            let mut st = self.conn.prepare(
                "SELECT id, tags FROM entries WHERE id IN (SELECT value FROM json_each(?1))",
            )?;
            let mut rows = st.query([&json])?;
            while let Some(r) = rows.next()? {
                if let Some(d) = by_id.get_mut(&r.get::<_, i64>(0)?) {
                    let tags = r.get_ref(1)?.as_str()?;
                    d.summary.tags = super::tagging::names(tags).map(str::to_owned).collect();
                }
            }
            let mut st = self.conn.prepare(
                "SELECT from_id, rel, to_id FROM links WHERE from_id IN (SELECT value FROM json_each(?1))
                 ORDER BY from_id, rel, to_id",
            )?;
            let mut rows = st.query([&json])?;
            while let Some(r) = rows.next()? {
                if let Some(d) = by_id.get_mut(&r.get::<_, i64>(0)?) {
                    d.summary.links.push(Link {
                        rel: r.get(1)?,
                        id: r.get(2)?,
                    });
                }
            }
            super::events::fill_events(&self.conn, &json, &mut by_id)?;
            Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
        };
        run().map_err(|e| self.err(e))
    }

    /// First author, year and title of every stored entry, by id: citation keys are
    /// disambiguated over the whole database so a key does not depend on the filters.
    pub fn key_basis(&self) -> Result<Vec<KeyBasis>> {
        let run = || -> rusqlite::Result<Vec<KeyBasis>> {
            let mut st = self.conn.prepare(
                "SELECT id, authors, CAST(strftime('%Y', sort_at, 'unixepoch') AS INTEGER), title,
                        published_at IS NOT NULL
                 FROM entries ORDER BY id",
            )?;
            st.query_map([], |r| {
                let authors: String = r.get(1)?;
                let has_date: bool = r.get(4)?;
                Ok(KeyBasis {
                    id: r.get(0)?,
                    first_author: authors
                        .lines()
                        .map(str::trim)
                        .find(|a| !a.is_empty())
                        .map(str::to_owned),
                    year: if has_date { r.get(2)? } else { None },
                    title: r.get(3)?,
                })
            })?
            .collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// Counts by tag, source and month over the entries matching `f` (its limit is ignored).
    pub fn counts(&self, f: &Filters) -> Result<Counts> {
        let f = Filters {
            limit: None,
            ..f.clone()
        };
        let (cond, args) = conditions(&f);
        let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let run = || -> rusqlite::Result<Counts> {
            let pairs = |sql: &str| -> rusqlite::Result<Vec<(String, i64)>> {
                self.conn
                    .prepare(sql)?
                    .query_map(params.as_slice(), |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            };
            // One pass over the matching works counts them by month and by tag: their
            // tags are in their rows (see `tagging::encode`).
            let mut total = 0i64;
            let mut by_tag: HashMap<String, i64> = HashMap::new();
            let mut by_month: BTreeMap<(i32, u32), i64> = BTreeMap::new();
            let mut by_month_tag: BTreeMap<((i32, u32), String), i64> = BTreeMap::new();
            let mut st = self.conn.prepare(&format!(
                "SELECT e.sort_at, e.tags FROM entries e WHERE 1 = 1{cond}"
            ))?;
            let mut rows = st.query(params.as_slice())?;
            while let Some(r) = rows.next()? {
                total += 1;
                let month = DateTime::from_timestamp(r.get(0)?, 0).map(|d| (d.year(), d.month()));
                if let Some(m) = month {
                    *by_month.entry(m).or_default() += 1;
                }
                for tag in super::tagging::names(r.get_ref(1)?.as_str()?) {
                    match by_tag.get_mut(tag) {
                        Some(n) => *n += 1,
                        None => {
                            by_tag.insert(tag.to_owned(), 1);
                        }
                    }
                    if let Some(m) = month.filter(|_| !tag.contains(':')) {
                        *by_month_tag.entry((m, tag.to_owned())).or_default() += 1;
                    }
                }
            }
            let mut by_tag: Vec<(String, i64)> = by_tag.into_iter().collect();
            by_tag.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let month_name = |(y, m): (i32, u32)| format!("{y:04}-{m:02}");
            let by_month = by_month
                .into_iter()
                .map(|(m, n)| (month_name(m), n))
                .collect();
            let by_month_condition = by_month_tag
                .into_iter()
                .map(|((m, tag), n)| (month_name(m), tag, n))
                .collect();
            let by_source = pairs(&format!(
                "SELECT fd.name, COUNT(DISTINCT s.entry_id) FROM sources s
                 JOIN feeds fd ON fd.id = s.feed_id JOIN entries e ON e.id = s.entry_id
                 WHERE 1 = 1{cond} GROUP BY fd.name ORDER BY COUNT(DISTINCT s.entry_id) DESC, fd.name"
            ))?;
            Ok(Counts {
                total,
                by_tag,
                by_source,
                by_month,
                by_month_condition,
            })
        };
        run().map_err(|e| self.err(e))
    }

    /// The newest time anything was learnt: an entry first seen or a sighting refreshed.
    pub fn last_change(&self) -> Result<Option<DateTime<Utc>>> {
        self.conn
            .query_row(
                "SELECT MAX(COALESCE((SELECT MAX(first_seen_at) FROM entries), 0),
                            COALESCE((SELECT MAX(last_seen_at) FROM sources), 0))",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|t| ts(Some(t)).filter(|_| t > 0))
            .map_err(|e| self.err(e))
    }

    fn ids(&self, sql: &str, args: &[Box<dyn ToSql>]) -> Result<Vec<i64>> {
        let run = || -> rusqlite::Result<Vec<i64>> {
            let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
            self.conn
                .prepare(sql)?
                .query_map(params.as_slice(), |r| r.get(0))?
                .collect()
        };
        run().map_err(|e| self.err(e))
    }
}

/// `YYYY-MM` for the `n` months ending with `today`'s, oldest first.
pub fn last_months(today: chrono::NaiveDate, n: u32) -> Vec<String> {
    use chrono::Datelike;
    let first = chrono::NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    (0..n)
        .rev()
        .filter_map(|i| first.checked_sub_months(chrono::Months::new(i)))
        .map(|d| d.format("%Y-%m").to_string())
        .collect()
}

impl Counts {
    /// One row per month of `months`, one count per condition of
    /// [`crate::tag::CONDITION_TAGS`], in that order.
    pub fn condition_grid(&self, months: &[String]) -> Vec<Vec<i64>> {
        let mut at: std::collections::HashMap<(&str, &str), i64> = std::collections::HashMap::new();
        for (m, tag, n) in &self.by_month_condition {
            at.insert((m.as_str(), tag.as_str()), *n);
        }
        months
            .iter()
            .map(|m| {
                crate::tag::CONDITION_TAGS
                    .iter()
                    .map(|tag| at.get(&(m.as_str(), *tag)).copied().unwrap_or(0))
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod month_tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn months_end_with_the_current_one() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(last_months(d, 3), ["2023-12", "2024-01", "2024-02"]);
    }
}
