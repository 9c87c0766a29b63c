//! Europe PMC driver: REST `search` with `cursorMark` paging over a first-index-date window.
//!
//! Request: the feed URL's `query` plus ` AND (FIRST_IDATE:[from TO to])`,
//! `format=json`, `resultType=core`, `pageSize` (default 500, at most 1000)
//! and `cursorMark` (`*` first). Other parameters of the feed URL (`synonym`,
//! `sort`, …) are kept. Paging ends when `nextCursorMark` is absent, repeats
//! one already used, or the page is empty. Resume position: the cursor mark.

use std::collections::HashSet;

use url::Url;

use super::{Page, Req, SourceError, Token, Window, body_text, param, with_params};
use crate::model::Kind;
use crate::parse::europepmc::parse_page;

pub(super) struct State {
    base: Url,
    query: String,
    cursor: String,
    used: HashSet<String>,
    fetched: u64,
}

impl State {
    pub(super) fn new(req: &Req<'_>, base: Url, pos: Option<String>) -> Result<Self, SourceError> {
        let query = param(&base, "query")
            .filter(|q| !q.trim().is_empty())
            .ok_or_else(|| {
                req.setup(format!(
                    "Europe PMC feed URL {:?} has no query= parameter",
                    req.feed.url
                ))
            })?;
        Ok(State {
            base,
            query,
            cursor: pos.unwrap_or_else(|| "*".into()),
            used: HashSet::new(),
            fetched: 0,
        })
    }

    pub(super) async fn next(
        &mut self,
        req: &Req<'_>,
        window: Window,
    ) -> Result<Option<Page>, SourceError> {
        if self.cursor.is_empty() {
            return Ok(None);
        }
        let size = req.page_size(500, 1000);
        let query = format!(
            "({}) AND (FIRST_IDATE:[{} TO {}])",
            self.query, window.from, window.to
        );
        let url = with_params(
            &self.base,
            &[
                ("query", query),
                ("format", "json".into()),
                ("resultType", "core".into()),
                ("pageSize", size.to_string()),
                ("cursorMark", self.cursor.clone()),
            ],
        )
        .to_string();
        let p = req
            .get_parsed(&url, url.clone(), |b, ct, o| {
                parse_page(&body_text(b, ct), o)
            })
            .await?;
        self.used.insert(std::mem::take(&mut self.cursor));
        self.fetched += p.feed.entries.len() as u64;
        let done = p.feed.entries.is_empty()
            || p.hit_count.is_some_and(|h| self.fetched >= h)
            || p.next_cursor_mark
                .as_ref()
                .is_none_or(|c| self.used.contains(c));
        if !done {
            self.cursor = p.next_cursor_mark.unwrap_or_default();
        }
        Ok(Some(Page {
            entries: p.feed.entries,
            links: Vec::new(),
            resume: (!done).then(|| Token::make(Kind::EuropePmc, window, &self.cursor)),
            total: p.hit_count,
        }))
    }
}
