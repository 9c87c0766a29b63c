//! Which document a request asks for ([`Route::parse`]) and building its body: the
//! home page, the Atom feeds (all, per tag, per search) and `/healthz`.

use chrono::{DateTime, Utc};

use super::state::State;
use super::{atom, html};
use crate::store::{Filters, Store, StoreError};

/// Entries per feed unless `?limit=` asks otherwise (capped at [`MAX_LIMIT`]).
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

pub enum Error {
    /// A request that cannot be answered as asked: 400 with this message.
    BadRequest(String),
    /// The database could not be read: 503, logged at error.
    Store(StoreError),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

/// A document body with what its Last-Modified is made of.
pub struct Body {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    pub last_modified: Option<DateTime<Utc>>,
}

pub enum Route {
    Health,
    Home { tag: Option<String>, limit: usize },
    Feed(Feed),
}

pub struct Feed {
    meta: atom::FeedMeta,
    filters: Filters,
    search: Option<String>,
}

impl Route {
    /// The route for `path` and `query`, `None` for an unknown path. `host` is the
    /// request's Host header, for the feeds' own absolute links.
    pub fn parse(path: &str, query: &str, host: Option<&str>) -> Result<Option<Route>, Error> {
        let params = params(query);
        let base = format!(
            "http://{}",
            host.filter(|h| !h.is_empty() && !h.contains(['/', '"', '<', ' ', '\\']))
                .unwrap_or("localhost")
        );
        let feed = |meta, filters| Feed {
            meta,
            filters,
            search: None,
        };
        let route = match path {
            "/healthz" => Route::Health,
            "/" => Route::Home {
                tag: first(&params, "tag")
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
                limit: limit(&params)?,
            },
            "/feeds/all.atom" => Route::Feed(feed(all_meta(&base), Filters::default())),
            "/feeds/search.atom" => Route::Feed(search(&base, query, &params)?),
            _ => match path
                .strip_prefix("/feeds/tag/")
                .and_then(|t| t.strip_suffix(".atom"))
            {
                Some(tag) => {
                    let tag = percent_decode(tag)
                        .filter(|t| !t.is_empty())
                        .ok_or_else(|| {
                            Error::BadRequest("the tag in the path is not valid UTF-8".into())
                        })?;
                    let meta = tag_meta(&base, &tag);
                    Route::Feed(feed(meta, filters_tagged(vec![tag])))
                }
                None => return Ok(None),
            },
        };
        Ok(Some(match route {
            Route::Feed(mut f) => {
                f.filters.limit = Some(limit(&params)?);
                Route::Feed(f)
            }
            other => other,
        }))
    }
}

fn params(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn first<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn limit(params: &[(String, String)]) -> Result<usize, Error> {
    match first(params, "limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                Error::BadRequest(format!("limit: expected 1 to {MAX_LIMIT}, got {v:?}"))
            }),
    }
}

fn filters_tagged(tags: Vec<String>) -> Filters {
    Filters {
        tags,
        ..Filters::default()
    }
}

fn all_meta(base: &str) -> atom::FeedMeta {
    atom::FeedMeta {
        id: "urn:ketlit:feed:all".into(),
        title: "ketlit: all entries".into(),
        self_url: format!("{base}/feeds/all.atom"),
        html_url: format!("{base}/"),
    }
}

fn tag_meta(base: &str, tag: &str) -> atom::FeedMeta {
    atom::FeedMeta {
        id: format!("urn:ketlit:feed:tag:{tag}"),
        title: format!("ketlit: {tag}"),
        self_url: format!("{base}/feeds/tag/{}.atom", html::url_segment(tag)),
        html_url: format!("{base}/?tag={}", form_encode(tag)),
    }
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `/feeds/search.atom?q=…&tag=…`: every `q` joined, every `tag` required.
fn search(base: &str, query: &str, params: &[(String, String)]) -> Result<Feed, Error> {
    let q = params
        .iter()
        .filter(|(k, _)| k == "q")
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    if crate::query::fts_query(&q).is_none() {
        return Err(Error::BadRequest(
            "search.atom needs ?q= with at least one word".into(),
        ));
    }
    let tags: Vec<String> = params
        .iter()
        .filter(|(k, v)| k == "tag" && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect();
    let mut title = format!("ketlit: search “{q}”");
    if !tags.is_empty() {
        title.push_str(&format!(" tagged {}", tags.join(", ")));
    }
    let meta = atom::FeedMeta {
        id: format!(
            "urn:ketlit:feed:search:{}",
            form_encode(&format!("{q}|{}", tags.join(",")))
        ),
        title,
        self_url: format!("{base}/feeds/search.atom?{query}"),
        html_url: format!("{base}/"),
    };
    Ok(Feed {
        meta,
        filters: filters_tagged(tags),
        search: Some(q),
    })
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes: Vec<u8> =
        url::form_urlencoded::parse(format!("t={}", s.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned().into_bytes())?;
    String::from_utf8(bytes).ok()
}

/// `{"status": "ok", "entries": N}`.
pub fn health(state: &State) -> Result<Body, Error> {
    let version = state.version();
    let store = Store::open_read_only(state.db())?;
    let n = state.entry_count(&store, version)?;
    let body = serde_json::json!({"status": "ok", "entries": n}).to_string() + "\n";
    Ok(Body {
        content_type: "application/json",
        bytes: body.into_bytes(),
        last_modified: None,
    })
}

/// The HTML overview; its counts come from `state` (see [`State::counts`]).
pub fn home(state: &State, version: u64, tag: Option<&str>, limit: usize) -> Result<Body, Error> {
    let store = Store::open_read_only(state.db())?;
    let filters = Filters {
        tags: tag.into_iter().map(str::to_owned).collect(),
        limit: Some(limit),
        ..Filters::default()
    };
    let entries = store.details(&filters)?;
    let counts = state.counts(&store, version)?;
    let months = crate::store::last_months(Utc::now().date_naive(), 24);
    let body = html::page(&html::Page {
        entries: &entries,
        counts: &counts,
        months: &months,
        tag,
    });
    state.rendered();
    // No Last-Modified: the counts can change while the newest entries do not, and
    // knowing when would take the very count this page avoids. The ETag decides.
    Ok(Body {
        content_type: "text/html; charset=utf-8",
        bytes: body.into_bytes(),
        last_modified: None,
    })
}

/// An Atom feed. A search the index rejects is a bad request, not a broken database.
pub fn feed(state: &State, feed: &Feed) -> Result<Body, Error> {
    let store = Store::open_read_only(state.db())?;
    let entries = match &feed.search {
        Some(q) => {
            let hits = store.search(q, &feed.filters).map_err(rejected_query)?;
            let ids: Vec<i64> = hits.iter().map(|s| s.id).collect();
            store.details_by_ids(&ids)?
        }
        None => store.details(&feed.filters)?,
    };
    let body = atom::feed(&feed.meta, &entries);
    state.rendered();
    Ok(Body {
        content_type: "application/atom+xml; charset=utf-8",
        bytes: body.into_bytes(),
        last_modified: (!entries.is_empty()).then(|| atom::feed_updated(&entries)),
    })
}

/// FTS5's own complaints about a query (its messages start with `fts5`, such as
/// "fts5 expression tree is too large" for a long chain of NOTs) become a 400
/// without the database's path; any other failure stays a store error.
fn rejected_query(e: StoreError) -> Error {
    match &e {
        StoreError::Sqlite {
            source: rusqlite::Error::SqliteFailure(_, Some(msg)),
            ..
        } if msg.starts_with("fts5") || msg.starts_with("malformed MATCH") => {
            tracing::debug!("search query rejected by the index: {msg}");
            let why = msg.trim_start_matches("fts5:").trim();
            Error::BadRequest(format!("the search index rejected this query: {why}"))
        }
        _ => Error::Store(e),
    }
}
