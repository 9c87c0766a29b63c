//! API literature sources (PubMed, Europe PMC, bioRxiv/medRxiv, ClinicalTrials.gov, arXiv): paging drivers over a date window, resumable.
//!
//! Use [`pages`] (a `Stream`) or [`Pager::next_page`] (the same thing as an
//! async method). Either yields [`Page`]s in order until the source is
//! exhausted, then ends. Contract, the same for every kind:
//!
//! - The feed's `url` is the base: its host, path and query parameters are
//!   kept, and the driver adds the paging and window parameters.
//! - A window with no hits yields exactly one page with no entries
//!   (`total: Some(0)`, `resume: None`), so callers can tell "nothing new"
//!   from "never ran".
//! - `Page::resume` is the token to pass as `resume` to continue after that
//!   page (an interrupted backfill), `None` on the last page. A token is only
//!   valid for the same feed kind and window; another one is refused.
//! - After an error the pager ends; restart from the last page's `resume`.
//! - Paging is bounded whatever the server does: a repeated cursor or page
//!   token, an empty page, a page with no entry not seen earlier in the run,
//!   or [`MAX_PAGES`] pages end the run.
//! - No relevance filtering happens here.

mod arxiv;
mod biorxiv;
mod ctgov;
mod europepmc;
mod pubmed;

use std::collections::HashSet;

use chrono::NaiveDate;
use futures_util::Stream;
use url::Url;

use crate::config::{FeedConfig, PubmedConfig};
use crate::cpu::CpuPool;
use crate::fetch::{FetchError, FetchOutcome, Fetcher, Validators};
use crate::model::{Kind, RawEntry};
use crate::parse::ParseError;

/// Hard cap on pages per run, whatever totals the server claims.
pub const MAX_PAGES: usize = 10_000;

pub use crate::model::WorkLink;

/// Inclusive date range the source is asked about (each kind maps it onto
/// its own date field: PubMed Entrez date, Europe PMC first index date,
/// ClinicalTrials.gov last update posted, bioRxiv posting date, arXiv
/// submission date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// One response's worth of results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub entries: Vec<RawEntry>,
    /// Links between works found on this page (bioRxiv "published-as").
    pub links: Vec<WorkLink>,
    /// Opaque token to continue after this page; `None` on the last page.
    pub resume: Option<String>,
    /// The server's hit count for the query behind this page when it reports
    /// one (PubMed: for the current date slice, see the pubmed module).
    pub total: Option<u64>,
}

/// What the drivers need from the rest of the program.
#[derive(Debug, Clone, Copy)]
pub struct SourceCtx<'a> {
    pub fetcher: &'a Fetcher,
    pub pubmed: &'a PubmedConfig,
    /// Results per request; `None` uses each API's default (PubMed 200,
    /// Europe PMC 500, ClinicalTrials.gov 100, arXiv 100). bioRxiv's page
    /// size is fixed by the server (100) and this is ignored there.
    pub page_size: Option<usize>,
    /// Where pages are parsed: off the async runtime, panics caught.
    pub cpu: &'a CpuPool,
}

/// Why a source run failed. `Display` is one line naming the feed and, when
/// there was one, the request (API keys redacted).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("feed {feed}: GET {request}: {error}")]
    Fetch {
        feed: String,
        request: String,
        #[source]
        error: FetchError,
    },
    /// The response could not be parsed; the parse error names the request.
    #[error("feed {feed}: {error}")]
    Parse {
        feed: String,
        #[source]
        error: ParseError,
    },
    /// The server answered, but with an error of its own.
    #[error("feed {feed}: GET {request}: {message}")]
    Api {
        feed: String,
        request: String,
        message: String,
    },
    /// The feed's URL, kind, window or resume token cannot be used.
    #[error("feed {feed}: {message}")]
    Setup { feed: String, message: String },
    /// A page arrived but ketlit failed handling it (a bug): nothing of it is stored.
    #[error("feed {feed}: {message}")]
    Internal { feed: String, message: String },
}

impl SourceError {
    /// Whether the same request may succeed later (network trouble, 5xx,
    /// 429). Parse failures, API errors and setup errors are permanent.
    pub fn is_transient(&self) -> bool {
        match self {
            SourceError::Fetch { error, .. } => error.is_transient(),
            // A crash handling a page may not recur: try again after the backoff.
            SourceError::Internal { .. } => true,
            _ => false,
        }
    }

    pub fn feed(&self) -> &str {
        match self {
            SourceError::Fetch { feed, .. }
            | SourceError::Parse { feed, .. }
            | SourceError::Api { feed, .. }
            | SourceError::Setup { feed, .. }
            | SourceError::Internal { feed, .. } => feed,
        }
    }
}

/// Pages of one feed over one window, as a stream. See the module docs.
pub fn pages<'a>(
    ctx: SourceCtx<'a>,
    feed: &'a FeedConfig,
    window: Window,
    resume: Option<String>,
) -> impl Stream<Item = Result<Page, SourceError>> + 'a {
    futures_util::stream::unfold(Pager::new(ctx, feed, window, resume), |mut p| async move {
        p.next_page().await.map(|r| (r, p))
    })
}

enum State {
    Pubmed(pubmed::State),
    EuropePmc(europepmc::State),
    Ctgov(ctgov::State),
    Biorxiv(biorxiv::State),
    Arxiv(arxiv::State),
}

/// Pull-style pager; [`pages`] wraps it as a stream.
pub struct Pager<'a> {
    req: Req<'a>,
    window: Window,
    state: Option<State>,
    setup_error: Option<SourceError>,
    finished: bool,
    emitted: bool,
    pages: usize,
    seen: HashSet<String>,
}

impl<'a> Pager<'a> {
    /// Never fails: a problem with the feed or token is the first item.
    pub fn new(
        ctx: SourceCtx<'a>,
        feed: &'a FeedConfig,
        window: Window,
        resume: Option<String>,
    ) -> Self {
        let req = Req { ctx, feed };
        let (state, setup_error) = match build_state(&req, window, resume.as_deref()) {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        };
        Pager {
            req,
            window,
            state,
            setup_error,
            finished: false,
            emitted: false,
            pages: 0,
            seen: HashSet::new(),
        }
    }

    /// The next page, `None` once the source is exhausted or after an error.
    pub async fn next_page(&mut self) -> Option<Result<Page, SourceError>> {
        if self.finished {
            return None;
        }
        if let Some(e) = self.setup_error.take() {
            self.finished = true;
            return Some(Err(e));
        }
        if self.pages >= MAX_PAGES {
            tracing::warn!(feed = %self.req.feed.name, "stopping after {MAX_PAGES} pages");
            self.finished = true;
            return None;
        }
        let req = &self.req;
        let window = self.window;
        let result = match self.state.as_mut()? {
            State::Pubmed(s) => s.next(req, window).await,
            State::EuropePmc(s) => s.next(req, window).await,
            State::Ctgov(s) => s.next(req, window).await,
            State::Biorxiv(s) => s.next(req, window).await,
            State::Arxiv(s) => s.next(req, window).await,
        };
        match result {
            Err(e) => {
                self.finished = true;
                Some(Err(e))
            }
            Ok(None) => {
                self.finished = true;
                if self.emitted {
                    None
                } else {
                    self.emitted = true;
                    Some(Ok(Page {
                        total: Some(0),
                        ..Page::default()
                    }))
                }
            }
            Ok(Some(page)) => {
                let mut fresh = 0usize;
                for e in &page.entries {
                    // An entry without a key cannot be judged; count it as new.
                    match e.link.as_ref().or(e.guid.as_ref()) {
                        Some(k) if !self.seen.insert(k.clone()) => {}
                        _ => fresh += 1,
                    }
                }
                if self.emitted && (page.entries.is_empty() || fresh == 0) {
                    // A server that ignores the paging parameters would
                    // otherwise keep us busy until its claimed total.
                    if !page.entries.is_empty() {
                        tracing::warn!(
                            feed = %self.req.feed.name,
                            "page brought no new entries; stopping"
                        );
                    }
                    self.finished = true;
                    return None;
                }
                self.emitted = true;
                self.pages += 1;
                if page.resume.is_none() {
                    self.finished = true;
                }
                Some(Ok(page))
            }
        }
    }
}

fn build_state(req: &Req<'_>, window: Window, resume: Option<&str>) -> Result<State, SourceError> {
    if window.from > window.to {
        return Err(req.setup(format!(
            "window starts after it ends ({} > {})",
            window.from, window.to
        )));
    }
    let kind = req.feed.kind;
    let pos = match resume {
        Some(t) => Some(Token::parse(t, kind, window).ok_or_else(|| {
            req.setup(format!(
                "resume token {t:?} is not a {kind} token for {}..{}",
                window.from, window.to
            ))
        })?),
        None => None,
    };
    let base = Url::parse(&req.feed.url)
        .map_err(|e| req.setup(format!("feed URL {:?}: {e}", req.feed.url)))?;
    if base.host_str().is_none_or(str::is_empty) {
        return Err(req.setup(format!("feed URL {:?} has no host", req.feed.url)));
    }
    Ok(match kind {
        Kind::Pubmed => State::Pubmed(pubmed::State::new(req, base, window, pos)?),
        Kind::EuropePmc => State::EuropePmc(europepmc::State::new(req, base, pos)?),
        Kind::Ctgov => State::Ctgov(ctgov::State::new(req, base, pos)?),
        Kind::Biorxiv => State::Biorxiv(biorxiv::State::new(req, base, pos)?),
        Kind::Arxiv => State::Arxiv(arxiv::State::new(req, base, pos)?),
        other => {
            return Err(req.setup(format!(
                "kind {other} is a plain feed, not a paged API source"
            )));
        }
    })
}

/// Resume tokens: `{kind}:{from}:{to}:{position}`, the position's syntax
/// being the kind's own. The window is in the token so that a token can never
/// silently be applied to a different range.
pub(crate) struct Token;

impl Token {
    fn make(kind: Kind, window: Window, pos: &str) -> String {
        format!("{kind}:{}:{}:{pos}", window.from, window.to)
    }

    /// The position part, if the token belongs to this kind and window.
    fn parse(token: &str, kind: Kind, window: Window) -> Option<String> {
        let mut parts = token.splitn(4, ':');
        let (k, from, to, pos) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        (k == kind.as_str()
            && from == window.from.to_string()
            && to == window.to.to_string()
            && !pos.is_empty())
        .then(|| pos.to_string())
    }
}

/// The feed plus context, with the request helpers every driver uses.
pub(crate) struct Req<'a> {
    ctx: SourceCtx<'a>,
    feed: &'a FeedConfig,
}

impl Req<'_> {
    fn setup(&self, message: impl Into<String>) -> SourceError {
        SourceError::Setup {
            feed: self.feed.name.clone(),
            message: message.into(),
        }
    }

    fn api(&self, url: &str, message: impl Into<String>) -> SourceError {
        SourceError::Api {
            feed: self.feed.name.clone(),
            request: redact(url),
            message: message.into(),
        }
    }

    fn parse_err(&self, error: ParseError) -> SourceError {
        SourceError::Parse {
            feed: self.feed.name.clone(),
            error,
        }
    }

    fn page_size(&self, default: usize, max: usize) -> usize {
        self.ctx.page_size.unwrap_or(default).clamp(1, max)
    }

    /// GET `url` and parse its body with `parse` (given the body, its Content-Type and
    /// `origin`, the name errors give the document) on the CPU pool, where feeds are
    /// parsed too: a large page never holds up the runtime, and a parser that panics
    /// fails this run only.
    async fn get_parsed<T: Send + 'static>(
        &self,
        url: &str,
        origin: String,
        parse: impl FnOnce(&[u8], Option<&str>, &str) -> Result<T, ParseError> + Send + 'static,
    ) -> Result<T, SourceError> {
        let (body, ct) = self.get(url).await?;
        self.ctx
            .cpu
            .run(move || parse(&body, ct.as_deref(), &origin))
            .await
            .map_err(|e| SourceError::Internal {
                feed: self.feed.name.clone(),
                message: format!("parsing {} crashed: {e}", redact(url)),
            })?
            .map_err(|e| self.parse_err(e))
    }

    /// Unconditional GET; returns the body and its Content-Type.
    async fn get(&self, url: &str) -> Result<(Vec<u8>, Option<String>), SourceError> {
        tracing::debug!(feed = %self.feed.name, url = %redact(url), "API request");
        match self.ctx.fetcher.get(url, &Validators::default()).await {
            Ok(FetchOutcome::Modified(d)) => Ok((d.body, d.content_type)),
            Ok(FetchOutcome::NotModified { .. }) => {
                Err(self.api(url, "304 Not Modified to an unconditional request"))
            }
            Err(error) => Err(SourceError::Fetch {
                feed: self.feed.name.clone(),
                request: redact(url),
                error,
            }),
        }
    }
}

/// The body as text for the JSON parsers (which need UTF-8, as the APIs send).
fn body_text(body: &[u8], content_type: Option<&str>) -> String {
    crate::parse::encoding::decode_document(body, content_type).into_owned()
}

/// `url` with each of `params` set (replacing any same-named parameter the
/// feed URL already had) and every other parameter kept.
fn with_params(base: &Url, params: &[(&str, String)]) -> Url {
    let mut url = base.clone();
    let kept: Vec<(String, String)> = base
        .query_pairs()
        .filter(|(k, _)| !params.iter().any(|(p, _)| p == k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut q = url.query_pairs_mut();
        q.clear();
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    url
}

/// `url` without the named query parameters.
fn without_params(base: &Url, names: &[&str]) -> Url {
    let mut url = base.clone();
    let kept: Vec<(String, String)> = base
        .query_pairs()
        .filter(|(k, _)| !names.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    url
}

/// A query parameter of the feed URL.
fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The URL for logs and errors: secrets (`api_key`, `email`) masked.
pub fn redact(url: &str) -> String {
    let Ok(mut u) = Url::parse(url) else {
        return url.to_string();
    };
    if !u.query_pairs().any(|(k, _)| k == "api_key" || k == "email") {
        return url.to_string();
    }
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "api_key" || k == "email" {
                "***".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(a: &str, b: &str) -> Window {
        Window {
            from: a.parse().unwrap(),
            to: b.parse().unwrap(),
        }
    }

    #[test]
    fn tokens_are_bound_to_kind_and_window() {
        let win = w("2024-01-01", "2024-01-31");
        let t = Token::make(Kind::EuropePmc, win, "AoE:x=");
        assert_eq!(
            Token::parse(&t, Kind::EuropePmc, win).as_deref(),
            Some("AoE:x=")
        );
        assert!(Token::parse(&t, Kind::Ctgov, win).is_none());
        assert!(Token::parse(&t, Kind::EuropePmc, w("2024-01-01", "2024-02-01")).is_none());
        assert!(Token::parse("garbage", Kind::EuropePmc, win).is_none());
    }

    #[test]
    fn params_replace_and_keep() {
        let base = Url::parse("https://h.example/s?term=a+b&retmax=5&db=pubmed").unwrap();
        let u = with_params(&base, &[("retmax", "0".into()), ("tool", "k".into())]);
        assert_eq!(
            u.as_str(),
            "https://h.example/s?term=a+b&db=pubmed&retmax=0&tool=k"
        );
        assert_eq!(param(&u, "term").as_deref(), Some("a b"));
    }

    #[test]
    fn secrets_are_redacted() {
        let r = redact("https://h.example/e?term=x&api_key=SECRET&email=a%40b.org");
        assert!(!r.contains("SECRET") && !r.contains("b.org"), "{r}");
        assert_eq!(redact("not a url"), "not a url");
    }
}
