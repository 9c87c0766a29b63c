//! arXiv driver: the export API's Atom search with `start`/`max_results` paging over a submission-date window.
//!
//! Request: the feed URL's `search_query` as `({q}) AND
//! submittedDate:[YYYYMMDD0000 TO YYYYMMDD2359]`, `start`, `max_results`
//! (default 100, at most 2000), `sortBy=submittedDate`, `sortOrder=ascending`
//! (oldest first, so papers submitted during a run append at the end instead
//! of shifting earlier pages). The host gets a 3 s spacing, as arXiv asks.
//! Paging ends at `opensearch:totalResults` or an empty page. Resume
//! position: the `start` offset.

use std::time::Duration;

use url::Url;

use super::{Page, Req, SourceError, Token, Window, param, with_params};
use crate::model::Kind;
use crate::parse::parse_document;

pub(super) struct State {
    base: Url,
    query: String,
    start: u64,
    done: bool,
}

/// `opensearch:totalResults` of an arXiv Atom page.
fn total_results(text: &str) -> Option<u64> {
    let at = text.find("totalResults")?;
    let rest = &text[at..];
    let open = rest.find('>')?;
    let rest = &rest[open + 1..];
    let close = rest.find('<')?;
    rest[..close].trim().parse().ok()
}

impl State {
    pub(super) fn new(req: &Req<'_>, base: Url, pos: Option<String>) -> Result<Self, SourceError> {
        let query = param(&base, "search_query")
            .filter(|q| !q.trim().is_empty())
            .ok_or_else(|| {
                req.setup(format!(
                    "arXiv feed URL {:?} has no search_query= parameter",
                    req.feed.url
                ))
            })?;
        let start = match pos {
            Some(p) => p
                .parse()
                .map_err(|_| req.setup(format!("bad arXiv resume position {p:?}")))?,
            None => 0,
        };
        if let Some(host) = base.host_str() {
            req.ctx
                .fetcher
                .set_host_interval(host, Duration::from_secs(3));
        }
        Ok(State {
            base,
            query,
            start,
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
        let size = req.page_size(100, 2000);
        let query = format!(
            "({}) AND submittedDate:[{}0000 TO {}2359]",
            self.query,
            window.from.format("%Y%m%d"),
            window.to.format("%Y%m%d")
        );
        let url = with_params(
            &self.base,
            &[
                ("search_query", query),
                ("start", self.start.to_string()),
                ("max_results", size.to_string()),
                ("sortBy", "submittedDate".into()),
                ("sortOrder", "ascending".into()),
            ],
        )
        .to_string();
        let (feed, total) = req
            .get_parsed(&url, url.clone(), |b, ct, o| {
                let feed = parse_document(b, ct, Kind::Arxiv, o)?;
                let total = total_results(&crate::parse::encoding::decode_document(b, ct));
                Ok((feed, total))
            })
            .await?;
        // arXiv reports a bad query as a feed with one entry whose id is an
        // errors URL; that must not be stored as a paper.
        if let Some(err) = feed.entries.iter().find(|e| {
            e.guid
                .as_deref()
                .is_some_and(|g| g.contains("arxiv.org/api/errors"))
        }) {
            let msg = err
                .summary
                .clone()
                .or(err.title.clone())
                .unwrap_or_default();
            return Err(req.api(&url, format!("arXiv API error: {msg}")));
        }
        if feed.entries.is_empty() {
            self.done = true;
            return Ok(None);
        }
        self.start += feed.entries.len() as u64;
        self.done = total.is_none_or(|t| self.start >= t);
        Ok(Some(Page {
            entries: feed.entries,
            links: Vec::new(),
            resume: (!self.done).then(|| Token::make(Kind::Arxiv, window, &self.start.to_string())),
            total,
        }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn total() {
        let t =
            r#"<feed><opensearch:totalResults xmlns:opensearch="x">42</opensearch:totalResults>"#;
        assert_eq!(super::total_results(t), Some(42));
        assert_eq!(super::total_results("<feed/>"), None);
    }
}
