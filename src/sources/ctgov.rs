//! ClinicalTrials.gov driver: API v2 `/api/v2/studies` with `pageToken` paging over a last-update-posted window.
//!
//! Request: the feed URL's parameters (`query.intr`, `query.cond`, `query.term`,
//! …) plus `format=json`, `pageSize` (default 100, at most 1000),
//! `countTotal=true`, `filter.advanced=AREA[LastUpdatePostDate]RANGE[from,to]`
//! (AND-ed with a `filter.advanced` the feed URL already has) and
//! `pageToken` after the first page. Paging ends when `nextPageToken` is
//! absent or repeats. Resume position: the page token.

use std::collections::HashSet;

use url::Url;

use super::{Page, Req, SourceError, Token, Window, body_text, param, with_params, without_params};
use crate::model::Kind;
use crate::parse::ctgov::parse_page;

pub(super) struct State {
    base: Url,
    token: Option<String>,
    used: HashSet<String>,
    done: bool,
}

impl State {
    pub(super) fn new(_req: &Req<'_>, base: Url, pos: Option<String>) -> Result<Self, SourceError> {
        Ok(State {
            // A token pasted into the feed URL would pin every run to one page.
            base: without_params(&base, &["pageToken"]),
            token: pos,
            used: HashSet::new(),
            done: false,
        })
    }

    pub(super) async fn next(
        &mut self,
        req: &Req<'_>,
        window: Window,
    ) -> Result<Option<Page>, SourceError> {
        if self.done {
            return Ok(None);
        }
        let range = format!(
            "AREA[LastUpdatePostDate]RANGE[{},{}]",
            window.from, window.to
        );
        let filter = match param(&self.base, "filter.advanced").filter(|f| !f.trim().is_empty()) {
            Some(f) => format!("({f}) AND {range}"),
            None => range,
        };
        let mut params = vec![
            ("format", "json".to_string()),
            ("pageSize", req.page_size(100, 1000).to_string()),
            ("countTotal", "true".to_string()),
            ("filter.advanced", filter),
        ];
        if let Some(t) = &self.token {
            params.push(("pageToken", t.clone()));
        }
        let url = with_params(&self.base, &params).to_string();
        let p = req
            .get_parsed(&url, url.clone(), |b, ct, o| {
                parse_page(&body_text(b, ct), o)
            })
            .await?;
        if let Some(t) = self.token.take() {
            self.used.insert(t);
        }
        match p.next_page_token.filter(|t| !self.used.contains(t)) {
            Some(t) if !p.feed.entries.is_empty() => self.token = Some(t),
            _ => self.done = true,
        }
        Ok(Some(Page {
            entries: p.feed.entries,
            links: Vec::new(),
            resume: self
                .token
                .as_ref()
                .map(|t| Token::make(Kind::Ctgov, window, t)),
            total: p.total_count,
        }))
    }
}
