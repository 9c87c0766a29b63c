//! bioRxiv/medRxiv driver: `api.biorxiv.org` `details` (or `pubs`) endpoint with a numeric cursor over a posting-date window.
//!
//! The feed URL names the endpoint and server, e.g.
//! `https://api.biorxiv.org/details/medrxiv` (any path segments after the
//! server are replaced; a query string such as `?category=psychiatry` is
//! kept). Requests are `{prefix}/{endpoint}/{server}/{from}/{to}/{cursor}`.
//! The server sends up to 100 items per call; the cursor advances by the
//! number of items received and paging ends when it reaches `messages[0].total`
//! or a page is empty. A `published` journal DOI becomes a `WorkLink`.
//! Resume position: the cursor number.

use url::Url;

use super::{Page, Req, SourceError, Token, Window, body_text};
use crate::model::Kind;
use crate::parse::biorxiv::parse_page;

/// The API's fixed page size, used when a response lacks a total.
const SERVER_PAGE: usize = 100;

pub(super) struct State {
    base: Url,
    /// Path up to and including `/{endpoint}/{server}`.
    prefix: String,
    cursor: u64,
    done: bool,
}

impl State {
    pub(super) fn new(req: &Req<'_>, base: Url, pos: Option<String>) -> Result<Self, SourceError> {
        let segs: Vec<&str> = base
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).collect())
            .unwrap_or_default();
        let at = segs
            .iter()
            .position(|s| *s == "details" || *s == "pubs")
            .filter(|i| i + 1 < segs.len())
            .ok_or_else(|| {
                req.setup(format!(
                    "bioRxiv feed URL {:?} must name the endpoint and server, e.g. https://api.biorxiv.org/details/medrxiv",
                    req.feed.url
                ))
            })?;
        let prefix = format!("/{}", segs[..=at + 1].join("/"));
        let cursor = match pos {
            Some(p) => p
                .parse()
                .map_err(|_| req.setup(format!("bad bioRxiv resume position {p:?}")))?,
            None => 0,
        };
        Ok(State {
            base,
            prefix,
            cursor,
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
        let mut url = self.base.clone();
        url.set_path(&format!(
            "{}/{}/{}/{}",
            self.prefix, window.from, window.to, self.cursor
        ));
        let url = url.to_string();
        let p = req
            .get_parsed(&url, url.clone(), |b, ct, o| {
                parse_page(&body_text(b, ct), o)
            })
            .await?;
        if p.items == 0 {
            // "no posts found" and friends: the end, or no hits at all.
            if p.status.as_deref().is_some_and(|s| s != "ok") {
                tracing::debug!(feed = %req.feed.name, status = ?p.status, "bioRxiv: no items");
            }
            self.done = true;
            return Ok(None);
        }
        self.cursor += p.items as u64;
        self.done = match p.total {
            Some(t) => self.cursor >= t,
            None => p.items < SERVER_PAGE,
        };
        Ok(Some(Page {
            entries: p.feed.entries,
            links: p.links,
            resume: (!self.done)
                .then(|| Token::make(Kind::Biorxiv, window, &self.cursor.to_string())),
            total: p.total,
        }))
    }
}
