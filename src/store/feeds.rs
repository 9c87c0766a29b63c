//! Feed rows: syncing them with the config, reading their state, and recording the
//! outcome of each run (validators, status, errors, next due) together with its entries.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::ingest::Prepared;
use super::{Result, Store, ingest};
use crate::config::FeedConfig;
use crate::fetch::Validators;
use crate::model::{FeedInfo, RawEntry, WorkLink};
use crate::schedule::NextDue;

/// A feed's stored state, as `feeds list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct FeedRow {
    #[serde(skip)]
    pub id: i64,
    pub name: String,
    pub url: String,
    pub kind: String,
    pub enabled: bool,
    pub in_config: bool,
    pub title: Option<String>,
    pub format: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_fetch_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_status: Option<String>,
    pub last_http_status: Option<u16>,
    pub last_error: Option<String>,
    pub consecutive_errors: u32,
    pub next_due_at: Option<DateTime<Utc>>,
    pub next_due_reason: Option<String>,
    pub entries: i64,
    pub filtered_out: i64,
    /// Why the feed is not fetched (410 Gone), if it is not.
    pub disabled_reason: Option<String>,
    /// Where the feed moved after repeated permanent redirects.
    pub moved_to: Option<String>,
}

impl FeedRow {
    /// The URL to fetch: the configured one, unless the feed has moved.
    pub fn effective_url(&self) -> &str {
        self.moved_to.as_deref().unwrap_or(&self.url)
    }

    pub fn validators(&self) -> Validators {
        Validators {
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
        }
    }

    fn from_row(r: &Row) -> rusqlite::Result<FeedRow> {
        Ok(FeedRow {
            id: r.get("id")?,
            name: r.get("name")?,
            url: r.get("url")?,
            kind: r.get("kind")?,
            enabled: r.get("enabled")?,
            in_config: r.get("in_config")?,
            title: r.get("title")?,
            format: r.get("format")?,
            etag: r.get("etag")?,
            last_modified: r.get("last_modified")?,
            last_fetch_at: ts(r.get("last_fetch_at")?),
            last_success_at: ts(r.get("last_success_at")?),
            last_status: r.get("last_status")?,
            last_http_status: r.get("last_http_status")?,
            last_error: r.get("last_error")?,
            consecutive_errors: r.get("consecutive_errors")?,
            next_due_at: ts(r.get("next_due_at")?),
            next_due_reason: r.get("next_due_reason")?,
            entries: r.get("entries_total")?,
            filtered_out: r.get("filtered_out")?,
            disabled_reason: r.get("disabled_reason")?,
            moved_to: r.get("moved_to")?,
        })
    }
}

pub(super) fn ts(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.and_then(|s| DateTime::from_timestamp(s, 0))
}

/// What one run of a feed produced.
pub enum RunOutcome {
    /// A document was parsed; `entries` passed the filter, `filtered_out` did not.
    Parsed {
        info: FeedInfo,
        entries: Vec<RawEntry>,
        /// Links between works the source reported (preprint → journal DOI).
        links: Vec<WorkLink>,
        /// One per entry, worked out off the writer ([`crate::store::Prepared`]);
        /// empty: the store works it out.
        prepared: Vec<Prepared>,
        filtered_out: usize,
        validators: Validators,
        http_status: u16,
    },
    /// 304: nothing parsed or written but the validators and schedule.
    NotModified { validators: Validators },
    Failed {
        error: String,
        http_status: Option<u16>,
    },
}

/// Bookkeeping that every outcome records.
pub struct FeedUpdate {
    pub now: DateTime<Utc>,
    pub next_due: NextDue,
    /// `Some(Some(url))`: every hop this run was a permanent redirect ending at `url`;
    /// `Some(None)`: fetched without one; `None`: not known (nothing to record).
    pub redirect: Option<Option<String>>,
    /// Disables the feed with this reason (410 Gone).
    pub disable: Option<String>,
}

impl FeedUpdate {
    pub fn new(now: DateTime<Utc>, next_due: NextDue) -> FeedUpdate {
        FeedUpdate {
            now,
            next_due,
            redirect: None,
            disable: None,
        }
    }
}

/// Runs in a row that must end in the same permanent redirect before a feed is repointed.
pub const REDIRECTS_TO_MOVE: i64 = 3;

const FEED_COLUMNS: &str =
    "id, name, url, kind, enabled, in_config, title, format, etag, last_modified,
    last_fetch_at, last_success_at, last_status, last_http_status, last_error, consecutive_errors,
    next_due_at, next_due_reason, entries_total, filtered_out, disabled_reason, moved_to";

impl Store {
    /// Makes the feed rows match the config: new feeds are inserted (due at once),
    /// changed URLs/kinds updated, and feeds no longer configured marked as such
    /// (kept, because their sightings still reference them).
    pub fn sync_feeds(&mut self, feeds: &[FeedConfig], now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE feeds SET in_config = 0", [])?;
            let mut upsert = tx.prepare_cached(
                "INSERT INTO feeds (name, url, kind, enabled, in_config, created_at, next_due_at, next_due_reason)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5, 'new feed')
                 ON CONFLICT(name) DO UPDATE SET
                     enabled = excluded.enabled, in_config = 1, kind = excluded.kind,
                     -- a new URL starts afresh: old validators, moves and 410s belong to the old URL
                     etag = CASE WHEN url = excluded.url THEN etag END,
                     last_modified = CASE WHEN url = excluded.url THEN last_modified END,
                     moved_to = CASE WHEN url = excluded.url THEN moved_to END,
                     redirect_target = CASE WHEN url = excluded.url THEN redirect_target END,
                     redirect_count = CASE WHEN url = excluded.url THEN redirect_count ELSE 0 END,
                     disabled_reason = CASE WHEN url = excluded.url THEN disabled_reason END,
                     next_due_at = CASE WHEN url = excluded.url THEN next_due_at ELSE excluded.next_due_at END,
                     url = excluded.url",
            )?;
            for f in feeds {
                upsert.execute(params![f.name, f.url, f.kind.as_str(), f.enabled, now.timestamp()])?;
            }
            Ok(())
        })
    }

    pub fn feed(&self, name: &str) -> Result<Option<FeedRow>> {
        self.conn
            .query_row(
                &format!("SELECT {FEED_COLUMNS} FROM feeds WHERE name = ?1"),
                [name],
                FeedRow::from_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// All feeds, configured ones first, by name.
    pub fn feeds(&self) -> Result<Vec<FeedRow>> {
        let run = || -> rusqlite::Result<Vec<FeedRow>> {
            let mut st = self.conn.prepare(&format!(
                "SELECT {FEED_COLUMNS} FROM feeds ORDER BY in_config DESC, name"
            ))?;
            st.query_map([], FeedRow::from_row)?.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// Records one run of `feed` in ONE transaction: its entries (if any) and its
    /// state. Either both land or neither does, so validators never run ahead of data.
    pub fn record_run(
        &mut self,
        feed: &str,
        outcome: &RunOutcome,
        update: FeedUpdate,
    ) -> Result<ingest::IngestStats> {
        let tagger = self.tagger.clone();
        self.write(|tx| {
            let id: i64 = tx.query_row("SELECT id FROM feeds WHERE name = ?1", [feed], |r| r.get(0))?;
            let now = update.now.timestamp();
            let due = (update.next_due.at.timestamp(), update.next_due.reason.as_str());
            let mut stats = ingest::IngestStats::default();
            match outcome {
                RunOutcome::Parsed {
                    info,
                    entries,
                    links,
                    prepared,
                    filtered_out,
                    validators,
                    http_status,
                } => {
                    stats = ingest::ingest(tx, id, entries, links, tagger.as_deref(), prepared, update.now)?;
                    stats.filtered_out = *filtered_out;
                    let format = serde_json::to_value(info.format)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned));
                    tx.execute(
                        "UPDATE feeds SET title = ?2, format = ?3, etag = ?4, last_modified = ?5,
                             last_fetch_at = ?6, last_success_at = ?6, last_status = 'ok',
                             last_http_status = ?7, last_error = NULL, consecutive_errors = 0,
                             next_due_at = ?8, next_due_reason = ?9,
                             entries_total = entries_total + ?10, filtered_out = filtered_out + ?11
                         WHERE id = ?1",
                        params![
                            id,
                            info.title,
                            format,
                            validators.etag,
                            validators.last_modified,
                            now,
                            http_status,
                            due.0,
                            due.1,
                            stats.new_sightings as i64,
                            *filtered_out as i64
                        ],
                    )?;
                }
                RunOutcome::NotModified { validators } => {
                    tx.execute(
                        "UPDATE feeds SET etag = ?2, last_modified = ?3, last_fetch_at = ?4,
                             last_success_at = ?4, last_status = 'not-modified', last_http_status = 304,
                             last_error = NULL, consecutive_errors = 0, next_due_at = ?5, next_due_reason = ?6
                         WHERE id = ?1",
                        params![id, validators.etag, validators.last_modified, now, due.0, due.1],
                    )?;
                }
                RunOutcome::Failed { error, http_status } => {
                    tx.execute(
                        "UPDATE feeds SET last_fetch_at = ?2, last_status = 'error', last_http_status = ?3,
                             last_error = ?4, consecutive_errors = consecutive_errors + 1,
                             next_due_at = ?5, next_due_reason = ?6
                         WHERE id = ?1",
                        params![id, now, http_status, error, due.0, due.1],
                    )?;
                }
            }
            if let Some(seen) = &update.redirect {
                record_redirect(tx, id, seen.as_deref())?;
            }
            if let Some(reason) = &update.disable {
                tx.execute("UPDATE feeds SET disabled_reason = ?2 WHERE id = ?1", params![id, reason])?;
            }
            Ok(stats)
        })
    }

    /// Records a successful run of `feed` that delivered `entries` (and `links`) now,
    /// with no validators and the feed due again at once: for imports, tests and the
    /// benchmark, which have entries but no HTTP exchange behind them.
    pub fn ingest_entries(
        &mut self,
        feed: &str,
        info: FeedInfo,
        entries: Vec<RawEntry>,
        links: Vec<WorkLink>,
    ) -> Result<ingest::IngestStats> {
        let now = Utc::now();
        let outcome = RunOutcome::Parsed {
            info,
            entries,
            links,
            prepared: Vec::new(),
            filtered_out: 0,
            validators: Validators::default(),
            http_status: 200,
        };
        let due = NextDue {
            at: now,
            reason: "entries stored directly".into(),
        };
        self.record_run(feed, &outcome, FeedUpdate::new(now, due))
    }

    /// Names of the feeds due at `now`: configured, enabled, not disabled by the
    /// server, and with `next_due_at` passed; the most overdue first.
    pub fn due_feeds(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let run = || -> rusqlite::Result<Vec<String>> {
            self.conn
                .prepare_cached(
                    "SELECT name FROM feeds
                     WHERE in_config = 1 AND enabled = 1 AND disabled_reason IS NULL
                       AND (next_due_at IS NULL OR next_due_at <= ?1)
                     ORDER BY next_due_at, name",
                )?
                .query_map([now.timestamp()], |r| r.get(0))?
                .collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// Clears a feed's backoff so the next tick runs it. Returns false if no such feed.
    pub fn retry_feed(&mut self, name: &str, now: DateTime<Utc>) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "UPDATE feeds SET consecutive_errors = 0, disabled_reason = NULL, next_due_at = ?2,
                     next_due_reason = 'retry requested'
                 WHERE name = ?1",
                params![name, now.timestamp()],
            )
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }
}

/// Counts runs in a row that ended in the same permanent redirect; at
/// [`REDIRECTS_TO_MOVE`] the feed moves there.
fn record_redirect(tx: &rusqlite::Connection, id: i64, seen: Option<&str>) -> rusqlite::Result<()> {
    let Some(target) = seen else {
        tx.execute(
            "UPDATE feeds SET redirect_target = NULL, redirect_count = 0 WHERE id = ?1",
            [id],
        )?;
        return Ok(());
    };
    tx.execute(
        "UPDATE feeds SET
             redirect_count = CASE WHEN redirect_target = ?2 THEN redirect_count + 1 ELSE 1 END,
             redirect_target = ?2
         WHERE id = ?1",
        params![id, target],
    )?;
    let moved = tx.execute(
        "UPDATE feeds SET moved_to = redirect_target, redirect_count = 0, redirect_target = NULL,
             etag = NULL, last_modified = NULL
         WHERE id = ?1 AND redirect_count >= ?2",
        params![id, REDIRECTS_TO_MOVE],
    )?;
    if moved > 0 {
        tracing::warn!(
            feed_id = id,
            "feed moved permanently to {target}; fetching it from there (the config is not rewritten)"
        );
    }
    Ok(())
}

/// An unfinished `fetch --since` of one feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Backfill {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// The source's token after the last committed page; None before the first.
    pub resume: Option<String>,
}

impl Store {
    pub fn backfill(&self, feed: &str) -> Result<Option<Backfill>> {
        let row: Option<(Option<String>, Option<String>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT backfill_from, backfill_to, backfill_resume FROM feeds WHERE name = ?1",
                [feed],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let date = |s: Option<String>| {
            s.and_then(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
        };
        Ok(row.and_then(|(from, to, resume)| {
            Some(Backfill {
                from: date(from)?,
                to: date(to)?,
                resume,
            })
        }))
    }

    /// Records that a backfill of `feed` over `from..=to` starts (or restarts).
    pub fn backfill_begin(
        &mut self,
        feed: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE feeds SET backfill_from = ?2, backfill_to = ?3, backfill_resume = NULL WHERE name = ?1",
                params![feed, from.to_string(), to.to_string()],
            )
            .map(drop)
        })
    }

    /// Stores one backfilled page and the token to continue after it, in one
    /// transaction, so an interrupted backfill resumes after the last stored page.
    /// `page.resume = None` means the backfill is complete.
    pub fn backfill_page(
        &mut self,
        feed: &str,
        page: &BackfillPage,
        now: DateTime<Utc>,
    ) -> Result<ingest::IngestStats> {
        let tagger = self.tagger.clone();
        self.write(|tx| {
            let (id, stats) = ingest_page(tx, feed, page, tagger.as_deref(), now)?;
            tx.execute(
                "UPDATE feeds SET backfill_resume = ?2,
                     backfill_from = CASE WHEN ?2 IS NULL THEN NULL ELSE backfill_from END,
                     backfill_to = CASE WHEN ?2 IS NULL THEN NULL ELSE backfill_to END
                 WHERE id = ?1",
                params![id, page.resume],
            )?;
            Ok(stats)
        })
    }

    /// Stores one page of an API feed's incremental run as it arrives, so a run of
    /// many pages never holds them all in memory. The feed's window moves on only
    /// with [`Store::record_run`] at the end; a run that fails midway keeps what it
    /// stored, and the next run asks for the same window again (storing a work
    /// twice merges it into itself).
    pub fn api_page(
        &mut self,
        feed: &str,
        page: &BackfillPage,
        now: DateTime<Utc>,
    ) -> Result<ingest::IngestStats> {
        let tagger = self.tagger.clone();
        self.write(|tx| ingest_page(tx, feed, page, tagger.as_deref(), now).map(|(_, s)| s))
    }
}

/// Ingests `page` for `feed` and counts it on the feed's row; returns the feed's id.
fn ingest_page(
    tx: &rusqlite::Connection,
    feed: &str,
    page: &BackfillPage,
    tagger: Option<&crate::tag::Tagger>,
    now: DateTime<Utc>,
) -> rusqlite::Result<(i64, ingest::IngestStats)> {
    let id: i64 = tx.query_row("SELECT id FROM feeds WHERE name = ?1", [feed], |r| r.get(0))?;
    let mut stats = ingest::ingest(
        tx,
        id,
        &page.entries,
        &page.links,
        tagger,
        &page.prepared,
        now,
    )?;
    stats.filtered_out = page.filtered_out;
    tx.execute(
        "UPDATE feeds SET entries_total = entries_total + ?2, filtered_out = filtered_out + ?3
         WHERE id = ?1",
        params![id, stats.new_sightings as i64, page.filtered_out as i64],
    )?;
    Ok((id, stats))
}

/// One page of a backfill, as [`Store::backfill_page`] stores it.
#[derive(Debug, Default)]
pub struct BackfillPage {
    pub entries: Vec<RawEntry>,
    pub links: Vec<WorkLink>,
    /// One per entry, worked out off the writer (or empty: the writer does it).
    pub prepared: Vec<Prepared>,
    /// Entries the feed's filter refused.
    pub filtered_out: usize,
    /// Where the next page starts; None when this was the last.
    pub resume: Option<String>,
}
