//! PubMed driver: esearch (history server) over the window, then efetch in batches; splits windows PubMed cannot page through whole.
//!
//! - esearch: the feed URL plus `usehistory=y`, `datetype=edat`,
//!   `mindate`/`maxdate` (YYYY/MM/DD), `retmax=0`; efetch: the sibling
//!   `efetch.fcgi` with `WebEnv`, `query_key`, `retstart`, `retmax`
//!   (≤ 200), `retmode=xml`. `tool` and `email` go on every request,
//!   `api_key` when configured.
//! - Pace: the feed host gets a 350 ms spacing without an API key (NCBI
//!   allows 3 requests/s) and 110 ms with one (10/s), shared by every feed on
//!   that host because the limiter is per host.
//! - The history server only serves the first 10,000 records of a search, so
//!   a date range with more hits is halved until each slice fits; pages then
//!   come slice by slice, oldest slice first, and `Page::total` is the hit
//!   count of the current slice.
//! - Resume position `{slice from}..{slice to}@{retstart}`: the WebEnv has
//!   usually expired by then, so the slice is searched again and fetching
//!   skips to `retstart`. An efetch answered with NCBI's error document (an
//!   expired WebEnv mid-run) also re-runs the search once.

use std::time::Duration;

use chrono::{Days, NaiveDate};
use url::Url;

use super::{Page, Req, SourceError, Token, Window, body_text, param, with_params};
use crate::model::Kind;
use crate::parse::pubmed::{ESearchResult, Efetch, parse_efetch, parse_esearch};

const DEFAULT_BATCH: usize = 200;
const MAX_BATCH: usize = 200;
/// Records the history server will hand out for one search.
const HISTORY_LIMIT: u64 = 10_000;

struct Search {
    window: Window,
    count: u64,
    web_env: String,
    query_key: String,
    retstart: u64,
    refreshed: bool,
}

pub(super) struct State {
    esearch: Url,
    efetch: Url,
    /// Slices still to search, the next one last, each with where to start.
    pending: Vec<(Window, u64)>,
    search: Option<Search>,
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y/%m/%d").to_string()
}

fn parse_pos(pos: &str) -> Option<(Window, u64)> {
    let (range, start) = pos.split_once('@')?;
    let (from, to) = range.split_once("..")?;
    Some((
        Window {
            from: from.parse().ok()?,
            to: to.parse().ok()?,
        },
        start.parse().ok()?,
    ))
}

impl State {
    pub(super) fn new(
        req: &Req<'_>,
        base: Url,
        window: Window,
        pos: Option<String>,
    ) -> Result<Self, SourceError> {
        if param(&base, "term").is_none_or(|t| t.trim().is_empty()) {
            return Err(req.setup(format!(
                "PubMed feed URL {:?} has no term= query",
                req.feed.url
            )));
        }
        let efetch = base
            .join("efetch.fcgi")
            .map_err(|e| req.setup(format!("feed URL {:?}: {e}", req.feed.url)))?;
        let mut pending = Vec::new();
        match pos {
            None => pending.push((window, 0)),
            Some(p) => {
                let (slice, start) = parse_pos(&p)
                    .filter(|(s, _)| s.from >= window.from && s.to <= window.to && s.from <= s.to)
                    .ok_or_else(|| req.setup(format!("bad PubMed resume position {p:?}")))?;
                if let Some(next) = slice.to.checked_add_days(Days::new(1))
                    && next <= window.to
                {
                    pending.push((
                        Window {
                            from: next,
                            to: window.to,
                        },
                        0,
                    ));
                }
                pending.push((slice, start));
            }
        }
        if let Some(host) = base.host_str() {
            let gap = if req.ctx.pubmed.api_key.is_some() {
                Duration::from_millis(110)
            } else {
                Duration::from_millis(350)
            };
            req.ctx.fetcher.set_host_interval(host, gap);
        }
        Ok(State {
            esearch: base,
            efetch,
            pending,
            search: None,
        })
    }

    /// `tool`, `email` and `api_key`, as NCBI asks every request to carry.
    fn etiquette(req: &Req<'_>) -> Vec<(&'static str, String)> {
        let p = req.ctx.pubmed;
        let mut v = vec![("tool", p.tool.clone())];
        if let Some(e) = p.email.as_ref().filter(|e| !e.is_empty()) {
            v.push(("email", e.clone()));
        }
        if let Some(k) = p.api_key.as_ref().filter(|k| !k.is_empty()) {
            v.push(("api_key", k.clone()));
        }
        v
    }

    async fn esearch(&self, req: &Req<'_>, w: Window) -> Result<ESearchResult, SourceError> {
        let mut params = vec![
            ("usehistory", "y".to_string()),
            ("datetype", "edat".to_string()),
            ("mindate", ymd(w.from)),
            ("maxdate", ymd(w.to)),
            ("retmax", "0".to_string()),
            ("retstart", "0".to_string()),
        ];
        params.extend(Self::etiquette(req));
        let url = with_params(&self.esearch, &params).to_string();
        let r = req
            .get_parsed(&url, super::redact(&url), |b, ct, o| {
                parse_esearch(&body_text(b, ct), o)
            })
            .await?;
        if !r.errors.is_empty() {
            return Err(req.api(&url, format!("esearch error: {}", r.errors.join("; "))));
        }
        if !r.phrases_not_found.is_empty() {
            tracing::info!(
                feed = %req.feed.name,
                "PubMed did not recognise: {}",
                r.phrases_not_found.join(", ")
            );
        }
        if r.count > 0 && (r.web_env.is_none() || r.query_key.is_none()) {
            return Err(req.api(&url, "esearch returned hits but no WebEnv/QueryKey"));
        }
        Ok(r)
    }

    fn resume_token(&self, window: Window) -> Option<String> {
        let (w, start) = match &self.search {
            Some(s) if s.retstart < s.count.min(HISTORY_LIMIT) => (s.window, s.retstart),
            _ => *self.pending.last()?,
        };
        Some(Token::make(
            Kind::Pubmed,
            window,
            &format!("{}..{}@{start}", w.from, w.to),
        ))
    }

    pub(super) async fn next(
        &mut self,
        req: &Req<'_>,
        window: Window,
    ) -> Result<Option<Page>, SourceError> {
        let batch = req.page_size(DEFAULT_BATCH, MAX_BATCH) as u64;
        loop {
            if let Some(s) = self.search.as_mut()
                && s.retstart < s.count.min(HISTORY_LIMIT)
            {
                let mut params = vec![
                    (
                        "db",
                        param(&self.esearch, "db").unwrap_or_else(|| "pubmed".into()),
                    ),
                    ("query_key", s.query_key.clone()),
                    ("WebEnv", s.web_env.clone()),
                    ("retstart", s.retstart.to_string()),
                    ("retmax", batch.to_string()),
                    ("retmode", "xml".to_string()),
                ];
                params.extend(Self::etiquette(req));
                // The efetch URL keeps only what efetch understands.
                let mut efetch = self.efetch.clone();
                efetch.set_query(None);
                let url = with_params(&efetch, &params).to_string();
                let parsed = req.get_parsed(&url, super::redact(&url), |b, ct, o| {
                    let text = body_text(b, ct);
                    parse_efetch(&crate::parse::encoding::fix_entities(&text), o)
                });
                match parsed.await? {
                    Efetch::Articles(feed) => {
                        s.retstart += batch;
                        let total = Some(s.count);
                        return Ok(Some(Page {
                            entries: feed.entries,
                            links: Vec::new(),
                            resume: self.resume_token(window),
                            total,
                        }));
                    }
                    Efetch::Error(msg) if !s.refreshed => {
                        tracing::info!(feed = %req.feed.name, "efetch: {msg}; searching again");
                        let w = s.window;
                        let r = self.esearch(req, w).await?;
                        let Some(s) = self.search.as_mut() else {
                            continue;
                        };
                        s.count = r.count;
                        s.web_env = r.web_env.unwrap_or_default();
                        s.query_key = r.query_key.unwrap_or_default();
                        s.refreshed = true;
                        continue;
                    }
                    Efetch::Error(msg) => {
                        return Err(req.api(&url, format!("efetch error: {msg}")));
                    }
                }
            }
            self.search = None;
            let Some((w, start)) = self.pending.pop() else {
                return Ok(None);
            };
            let r = self.esearch(req, w).await?;
            if r.count > HISTORY_LIMIT && w.from < w.to {
                let half = (w.to - w.from).num_days() / 2;
                let mid = w.from + chrono::Duration::days(half);
                tracing::debug!(feed = %req.feed.name, "{} hits in {}..{}: splitting", r.count, w.from, w.to);
                // A resume position inside the old range means nothing in a halved one.
                self.pending.push((
                    Window {
                        from: mid + chrono::Duration::days(1),
                        to: w.to,
                    },
                    0,
                ));
                self.pending.push((
                    Window {
                        from: w.from,
                        to: mid,
                    },
                    0,
                ));
                continue;
            }
            if r.count > HISTORY_LIMIT {
                tracing::warn!(
                    feed = %req.feed.name,
                    "{} hits on {} alone; only the first {HISTORY_LIMIT} can be fetched",
                    r.count,
                    w.from
                );
            }
            if r.count == 0 {
                continue;
            }
            self.search = Some(Search {
                window: w,
                count: r.count,
                web_env: r.web_env.unwrap_or_default(),
                query_key: r.query_key.unwrap_or_default(),
                retstart: start,
                refreshed: false,
            });
        }
    }
}
