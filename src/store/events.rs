//! Status events: each work's append-only history of retractions, corrections and
//! expressions of concern, written at ingest from the entries' notices, and read for
//! `show`, `list`, `--status` and `changes`.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};
use serde::Serialize;

use super::feeds::ts;
use super::{Result, Store};
use crate::model::{Notice, NoticeKind, NoticeTarget, RawEntry};

/// Every event kind of the contract; ingest writes the paper kinds so far.
pub const EVENT_KINDS: [&str; 10] = [
    "retracted",
    "partially-retracted",
    "corrected",
    "expression-of-concern",
    "withdrawn",
    "published",
    "status-changed",
    "results-posted",
    "results-overdue",
    "publication-linked",
];

/// The statuses a work can have, most serious first, each with the event kind that
/// gives it. A work's status is the most serious of its events': a retraction stays
/// the status whatever correction follows it.
pub const STATUSES: [(&str, &str); 8] = [
    ("retracted", "retracted"),
    ("partially-retracted", "partially-retracted"),
    ("concern", "expression-of-concern"),
    ("withdrawn", "withdrawn"),
    ("corrected", "corrected"),
    ("results-overdue", "results-overdue"),
    ("results-posted", "results-posted"),
    ("published", "published"),
];

/// The status a set of event kinds gives a work, or None.
pub fn status_of<'k>(kinds: impl IntoIterator<Item = &'k str>) -> Option<&'static str> {
    let kinds: Vec<&str> = kinds.into_iter().collect();
    STATUSES
        .iter()
        .find(|(_, kind)| kinds.contains(kind))
        .map(|(status, _)| *status)
}

/// One event, in the JSON shape of `show`'s `"events"`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatusEvent {
    pub kind: String,
    pub date: Option<DateTime<Utc>>,
    pub source: String,
    pub detail: String,
    pub link: Option<String>,
    pub related_id: Option<i64>,
}

/// An event with its work, as `changes` lists them and ingest reports new ones.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    pub id: i64,
    pub title: String,
    #[serde(flatten)]
    pub event: StatusEvent,
    /// When ketlit learnt of it.
    pub first_seen: Option<DateTime<Utc>>,
}

fn pubmed_url(pmid: &str) -> String {
    format!("https://pubmed.ncbi.nlm.nih.gov/{pmid}/")
}

fn label(n: &Notice) -> String {
    let what = match n.kind {
        NoticeKind::Retracted => "Retraction",
        NoticeKind::PartiallyRetracted => "Partial retraction",
        NoticeKind::Corrected => "Correction",
        NoticeKind::ExpressionOfConcern => "Expression of concern",
        NoticeKind::Updated => "Update",
    };
    if n.ref_type.to_ascii_lowercase().contains("republished") {
        format!("{what} (republished)")
    } else {
        what.to_string()
    }
}

/// A stored work by the entry's identifiers.
fn work_of(tx: &Connection, e: &RawEntry) -> rusqlite::Result<Option<i64>> {
    for (col, v) in [("pmid", &e.pmid), ("doi", &e.doi), ("pmcid", &e.pmcid)] {
        if let Some(v) = v {
            let sql = format!("SELECT id FROM entries WHERE {col} = ?1");
            if let Some(id) = tx
                .prepare_cached(&sql)?
                .query_row([v], |r| r.get(0))
                .optional()?
            {
                return Ok(Some(id));
            }
        }
    }
    Ok(None)
}

fn by_pmid(tx: &Connection, pmid: Option<&str>) -> rusqlite::Result<Option<(i64, Option<i64>)>> {
    let Some(p) = pmid else { return Ok(None) };
    tx.prepare_cached("SELECT id, published_at FROM entries WHERE pmid = ?1")?
        .query_row([p], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// An event to write: the work it is on and the row's values.
struct Draft {
    entry_id: i64,
    kind: &'static str,
    date: Option<i64>,
    detail: String,
    link: Option<String>,
    related_id: Option<i64>,
    related_pmid: Option<String>,
}

/// What notice `n` of entry `e` (stored as work `own`) records, and on which work:
/// on `own` for a notice about it, on the related work (when stored) for a notice
/// the entry is. The link is the notice's PubMed page either way, so the original's
/// `RetractionIn` and the notice's `RetractionOf` make one event.
fn draft(tx: &Connection, e: &RawEntry, own: i64, n: &Notice) -> rusqlite::Result<Option<Draft>> {
    let kind = match n.kind {
        NoticeKind::Retracted => "retracted",
        NoticeKind::PartiallyRetracted => "partially-retracted",
        NoticeKind::Corrected => "corrected",
        NoticeKind::ExpressionOfConcern => "expression-of-concern",
        NoticeKind::Updated => return Ok(None),
    };
    let other = by_pmid(tx, n.pmid.as_deref())?;
    Ok(Some(match n.applies_to {
        NoticeTarget::This => Draft {
            entry_id: own,
            kind,
            date: other.and_then(|(_, d)| d),
            detail: match (&n.citation, &n.pmid) {
                (Some(c), _) => format!("{} in {c}", label(n)),
                (None, Some(p)) => format!("{} in PMID {p}", label(n)),
                (None, None) => format!("Publication type: {}", n.ref_type),
            },
            link: n.pmid.as_deref().map(pubmed_url),
            related_id: other.map(|(id, _)| id),
            related_pmid: n.pmid.clone(),
        },
        NoticeTarget::Related => {
            let Some((target, _)) = other else {
                return Ok(None);
            };
            Draft {
                entry_id: target,
                kind,
                date: e.published.map(|d| d.timestamp()),
                detail: format!("{}: {}", label(n), e.title.as_deref().unwrap_or("")),
                link: e.pmid.as_deref().map(pubmed_url).or_else(|| e.link.clone()),
                related_id: Some(own),
                related_pmid: e.pmid.clone(),
            }
        }
    }))
}

/// Writes the events the entries' notices carry that are not stored yet, and
/// returns them, with feed `feed_id` as their source. Runs after the entries are
/// stored, so a notice and its original in one batch find each other.
pub(super) fn record(
    tx: &Connection,
    feed_id: i64,
    entries: &[RawEntry],
    now: i64,
) -> rusqlite::Result<Vec<Change>> {
    let mut new = Vec::new();
    if entries.iter().all(|e| e.notices.is_empty()) {
        return Ok(new);
    }
    let source: String = tx
        .prepare_cached("SELECT name FROM feeds WHERE id = ?1")?
        .query_row([feed_id], |r| r.get(0))?;
    let source = source.as_str();
    for e in entries.iter().filter(|e| !e.notices.is_empty()) {
        let Some(own) = work_of(tx, e)? else { continue };
        // The publication type says no more than a RetractionIn beside it.
        let has_retraction_in = e.notices.iter().any(|n| {
            n.kind == NoticeKind::Retracted
                && n.applies_to == NoticeTarget::This
                && n.pmid.is_some()
        });
        for n in &e.notices {
            if has_retraction_in && n.pmid.is_none() && n.kind == NoticeKind::Retracted {
                continue;
            }
            let Some(d) = draft(tx, e, own, n)? else {
                continue;
            };
            if let Some(c) = insert(tx, source, &d, now)? {
                new.push(c);
            }
        }
    }
    Ok(new)
}

fn insert(tx: &Connection, source: &str, d: &Draft, now: i64) -> rusqlite::Result<Option<Change>> {
    let key = d.link.clone().unwrap_or_else(|| d.detail.clone());
    let added = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO status_events
                 (entry_id, kind, date, source, detail, link, related_id, related_pmid, dedup_key, first_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            d.entry_id,
            d.kind,
            d.date,
            source,
            d.detail,
            d.link,
            d.related_id,
            d.related_pmid,
            key,
            now
        ])?;
    if added == 0 {
        return Ok(None);
    }
    let title: String = tx
        .prepare_cached("SELECT title FROM entries WHERE id = ?1")?
        .query_row([d.entry_id], |r| r.get(0))?;
    Ok(Some(Change {
        id: d.entry_id,
        title,
        event: StatusEvent {
            kind: d.kind.to_string(),
            date: ts(d.date),
            source: source.to_string(),
            detail: d.detail.clone(),
            link: d.link.clone(),
            related_id: d.related_id,
        },
        first_seen: ts(Some(now)),
    }))
}

/// Moves work `other`'s events to `keep` as ingest folds one into the other; an
/// event both have stays once.
pub(super) fn follow_merge(tx: &Connection, keep: i64, other: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE OR IGNORE status_events SET entry_id = ?1 WHERE entry_id = ?2")?
        .execute([keep, other])?;
    tx.prepare_cached("DELETE FROM status_events WHERE entry_id = ?1")?
        .execute([other])?;
    Ok(())
}

/// The columns [`event_from_row`] reads, over the alias `ev`. The related work is
/// looked up again by PMID when the one recorded is gone (merged) or was not stored.
const EVENT_COLUMNS: &str = "ev.kind, ev.date, ev.source, ev.detail, ev.link,
    COALESCE((SELECT id FROM entries WHERE id = ev.related_id),
             (SELECT id FROM entries WHERE pmid = ev.related_pmid))";

fn event_from_row(r: &Row, at: usize) -> rusqlite::Result<StatusEvent> {
    Ok(StatusEvent {
        kind: r.get(at)?,
        date: ts(r.get(at + 1)?),
        source: r.get(at + 2)?,
        detail: r.get(at + 3)?,
        link: r.get(at + 4)?,
        related_id: r.get(at + 5)?,
    })
}

/// SQL (over the alias `e`) for works whose current status is `status`: an event
/// of its kind and none of a more serious one. An unknown status matches nothing.
pub(super) fn status_condition(status: &str, args: &mut Vec<Box<dyn ToSql>>) -> String {
    let Some(pos) = STATUSES.iter().position(|(s, _)| *s == status) else {
        return " AND 0".into();
    };
    args.push(Box::new(STATUSES[pos].1));
    let mut sql = String::from(" AND e.id IN (SELECT entry_id FROM status_events WHERE kind = ?)");
    for (_, worse) in &STATUSES[..pos] {
        sql.push_str(
            " AND NOT EXISTS (SELECT 1 FROM status_events w WHERE w.entry_id = e.id AND w.kind = ?)",
        );
        args.push(Box::new(*worse));
    }
    sql
}

/// Fills the events and status of the works in `by_id`, whose ids `json` lists.
pub(super) fn fill_events(
    conn: &Connection,
    json: &str,
    by_id: &mut std::collections::HashMap<i64, super::EntryDetail>,
) -> rusqlite::Result<()> {
    let mut st = conn.prepare(&format!(
        "SELECT ev.entry_id, {EVENT_COLUMNS} FROM status_events ev
         WHERE ev.entry_id IN (SELECT value FROM json_each(?1))
         ORDER BY ev.entry_id, ev.first_seen_at DESC, ev.id DESC"
    ))?;
    let mut rows = st.query([json])?;
    while let Some(r) = rows.next()? {
        if let Some(d) = by_id.get_mut(&r.get::<_, i64>(0)?) {
            d.events.push(event_from_row(r, 1)?);
        }
    }
    for d in by_id.values_mut() {
        d.summary.status = status_of(d.events.iter().map(|e| e.kind.as_str()));
    }
    Ok(())
}

impl Store {
    /// Work `id`'s events, newest first.
    pub(super) fn events_of(&self, id: i64) -> rusqlite::Result<Vec<StatusEvent>> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM status_events ev WHERE ev.entry_id = ?1
                 ORDER BY ev.first_seen_at DESC, ev.id DESC"
            ))?
            .query_map([id], |r| event_from_row(r, 0))?
            .collect()
    }

    /// Work `id`'s current status (see [`STATUSES`]), or None.
    pub(super) fn status_by_id(&self, id: i64) -> rusqlite::Result<Option<&'static str>> {
        let kinds: Vec<String> = self
            .conn
            .prepare_cached("SELECT DISTINCT kind FROM status_events WHERE entry_id = ?1")?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(status_of(kinds.iter().map(String::as_str)))
    }

    /// Events learnt at or after `since` (all if None), of `kind` if given, newest
    /// first, at most `limit`.
    pub fn changes(
        &self,
        since: Option<DateTime<Utc>>,
        kind: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<Change>> {
        let sql = format!(
            "SELECT e.id, e.title, ev.first_seen_at, {EVENT_COLUMNS}
             FROM status_events ev JOIN entries e ON e.id = ev.entry_id
             WHERE ev.first_seen_at >= ?1 AND (?2 IS NULL OR ev.kind = ?2)
             ORDER BY ev.first_seen_at DESC, ev.id DESC LIMIT ?3"
        );
        let since = since.map_or(i64::MIN, |d| d.timestamp());
        let limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let run = || -> rusqlite::Result<Vec<Change>> {
            self.conn
                .prepare(&sql)?
                .query_map(params![since, kind, limit], |r| {
                    Ok(Change {
                        id: r.get(0)?,
                        title: r.get(1)?,
                        first_seen: ts(r.get(2)?),
                        event: event_from_row(r, 3)?,
                    })
                })?
                .collect()
        };
        run().map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Filters;
    use crate::store::tests::{entry, info, ingest, open};

    fn pubmed(name: &str) -> Vec<RawEntry> {
        let path = format!(
            "{}/tests/fixtures/changes/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        crate::parse::pubmed::parse(&text, name).unwrap().entries
    }

    fn id_by_pmid(s: &Store, pmid: &str) -> i64 {
        s.connection()
            .query_row("SELECT id FROM entries WHERE pmid = ?1", [pmid], |r| {
                r.get(0)
            })
            .unwrap()
    }

    #[test]
    fn an_erratum_and_its_original_in_one_batch_make_one_event() {
        let (_d, mut s) = open();
        let stats = ingest(&mut s, "a", &pubmed("pubmed_erratum.xml"));
        assert_eq!(stats.events.len(), 1, "{:?}", stats.events);
        let (orig, notice) = (id_by_pmid(&s, "37100202"), id_by_pmid(&s, "37950303"));
        let ev = s.events_of(orig).unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].kind, "corrected");
        assert_eq!(ev[0].related_id, Some(notice));
        assert_eq!(ev[0].source, "a");
        assert_eq!(s.status_by_id(orig).unwrap(), Some("corrected"));
        assert_eq!(
            s.status_by_id(notice).unwrap(),
            None,
            "the erratum is not corrected"
        );
        // The same records from another feed add nothing.
        assert!(
            ingest(&mut s, "b", &pubmed("pubmed_erratum.xml"))
                .events
                .is_empty()
        );
        assert_eq!(s.changes(None, None, None).unwrap().len(), 1);
    }

    #[test]
    fn a_retraction_outranks_an_expression_of_concern() {
        let (_d, mut s) = open();
        let mut concern = pubmed("pubmed_concern.xml");
        ingest(&mut s, "a", &concern[..1]);
        let orig = id_by_pmid(&s, "35300404");
        assert_eq!(s.status_by_id(orig).unwrap(), Some("concern"));
        let f = |st: &str| Filters {
            status: Some(st.into()),
            ..Default::default()
        };
        assert_eq!(s.list(&f("concern")).unwrap().len(), 1);
        concern[0].notices.push(Notice {
            kind: NoticeKind::Retracted,
            applies_to: NoticeTarget::This,
            ref_type: "RetractionIn".into(),
            pmid: Some("39999999".into()),
            citation: None,
        });
        let stats = ingest(&mut s, "a", &concern[..1]);
        assert_eq!(stats.events[0].event.detail, "Retraction in PMID 39999999");
        assert_eq!(s.status_by_id(orig).unwrap(), Some("retracted"));
        assert!(s.list(&f("concern")).unwrap().is_empty());
        assert_eq!(
            s.list(&f("retracted")).unwrap()[0].status,
            Some("retracted")
        );
        assert!(s.list(&f("withdrawn")).unwrap().is_empty());
        let kinds: Vec<String> = s
            .changes(None, None, None)
            .unwrap()
            .into_iter()
            .map(|c| c.event.kind)
            .collect();
        assert_eq!(
            kinds,
            ["retracted", "expression-of-concern"],
            "newest first"
        );
        assert_eq!(s.changes(None, Some("retracted"), None).unwrap().len(), 1);
        let later = Utc::now() + chrono::Duration::hours(1);
        assert!(s.changes(Some(later), None, None).unwrap().is_empty());
    }

    #[test]
    fn a_notice_about_a_work_not_stored_records_nothing() {
        let (_d, mut s) = open();
        assert!(
            ingest(&mut s, "a", &pubmed("pubmed_retraction_notice.xml"))
                .events
                .is_empty()
        );
        let notice = id_by_pmid(&s, "39800601");
        assert!(s.events_of(notice).unwrap().is_empty());
    }

    #[test]
    fn events_follow_their_work_through_a_merge() {
        let (_d, mut s) = open();
        let mut by_doi = entry("x1", "Ketamine trial");
        by_doi.doi = Some("10.1/k".into());
        ingest(&mut s, "a", &[by_doi.clone()]);
        let mut by_pmid = entry("x2", "Ketamine trial");
        by_pmid.pmid = Some("111".into());
        by_pmid.notices.push(Notice {
            kind: NoticeKind::Corrected,
            applies_to: NoticeTarget::This,
            ref_type: "ErratumIn".into(),
            pmid: Some("222".into()),
            citation: None,
        });
        ingest(&mut s, "b", &[by_pmid.clone()]);
        let pmid_work = id_by_pmid(&s, "111");
        assert_eq!(s.events_of(pmid_work).unwrap().len(), 1);
        // One record with both identifiers joins the two works.
        let mut both = by_pmid;
        both.doi = by_doi.doi;
        both.guid = Some("x3".into());
        s.ingest_entries("c", info(), vec![both], Vec::new())
            .unwrap();
        let kept = id_by_pmid(&s, "111");
        assert_ne!(kept, pmid_work, "the older work is kept");
        assert_eq!(s.events_of(kept).unwrap().len(), 1);
        let left: i64 = s
            .connection()
            .query_row("SELECT COUNT(*) FROM status_events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 1);
    }

    #[test]
    fn status_precedence() {
        assert_eq!(status_of(["corrected", "retracted"]), Some("retracted"));
        assert_eq!(
            status_of(["expression-of-concern", "corrected"]),
            Some("concern")
        );
        assert_eq!(status_of(["status-changed"]), None);
        assert_eq!(status_of([]), None);
    }
}
