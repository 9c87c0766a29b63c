//! `ketlit serve`: read-only HTTP over the database — Atom feeds (all, per tag, per
//! query) with ETag/Last-Modified and 304s, `/healthz`, and the HTML overview at `/`.
//! Each request opens the database read-only on a blocking thread, so the daemon can
//! keep writing and a request always sees committed data.

pub mod atom;
pub mod html;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use sha2::Digest;

use crate::store::{Filters, Store};

/// Entries per feed unless `?limit=` asks otherwise (capped at [`MAX_LIMIT`]).
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

/// Serves `db` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    db: PathBuf,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let db = db.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let db = db.clone();
                async move {
                    let (method, uri, headers) = (
                        req.method().clone(),
                        req.uri().clone(),
                        req.headers().clone(),
                    );
                    let path = uri.path().to_string();
                    let query = uri.query().unwrap_or("").to_string();
                    let reply = tokio::task::spawn_blocking(move || {
                        respond(&db, &method, &path, &query, &headers)
                    })
                    .await
                    .unwrap_or_else(|_| {
                        text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
                    });
                    Ok::<_, Infallible>(reply)
                }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await
            {
                tracing::debug!("connection from {peer}: {e}");
            }
        });
    }
}

type Reply = Response<Full<Bytes>>;

fn text(status: StatusCode, body: &str) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Answers one request. Synchronous: it reads SQLite.
pub fn respond(db: &Path, method: &Method, path: &str, query: &str, headers: &HeaderMap) -> Reply {
    if method != Method::GET && method != Method::HEAD {
        let mut r = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "read-only: GET and HEAD only\n",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let mut reply = match route(db, path, query, headers) {
        Ok(Some(body)) => conditional(body, headers),
        Ok(None) => text(StatusCode::NOT_FOUND, "not found\n"),
        Err(Error::BadRequest(m)) => text(StatusCode::BAD_REQUEST, &format!("{m}\n")),
        Err(Error::Store(m)) => {
            tracing::error!("{m}");
            text(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("database unavailable: {m}\n"),
            )
        }
    };
    if method == Method::HEAD {
        *reply.body_mut() = Full::new(Bytes::new());
    }
    reply
}

enum Error {
    BadRequest(String),
    Store(String),
}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Self {
        Error::Store(e.to_string())
    }
}

/// A body with what its validators are made of.
struct Body {
    content_type: &'static str,
    bytes: Vec<u8>,
    last_modified: Option<DateTime<Utc>>,
    cache: bool,
}

fn params(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn limit(params: &[(String, String)]) -> Result<usize, Error> {
    match params.iter().find(|(k, _)| k == "limit") {
        None => Ok(DEFAULT_LIMIT),
        Some((_, v)) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                Error::BadRequest(format!("limit: expected 1 to {MAX_LIMIT}, got {v:?}"))
            }),
    }
}

fn route(db: &Path, path: &str, query: &str, headers: &HeaderMap) -> Result<Option<Body>, Error> {
    let params = params(query);
    let base = format!(
        "http://{}",
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && !h.contains(['/', '"', '<', ' ']))
            .unwrap_or("localhost")
    );
    if path == "/healthz" {
        let store = Store::open_read_only(db)?;
        let n = store.count_entries()?;
        let body = serde_json::json!({"status": "ok", "entries": n}).to_string() + "\n";
        return Ok(Some(Body {
            content_type: "application/json",
            bytes: body.into_bytes(),
            last_modified: None,
            cache: false,
        }));
    }
    if path == "/" {
        let tag = params
            .iter()
            .find(|(k, _)| k == "tag")
            .map(|(_, v)| v.as_str())
            .filter(|t| !t.is_empty());
        let store = Store::open_read_only(db)?;
        let filters = Filters {
            tags: tag.into_iter().map(str::to_owned).collect(),
            limit: Some(limit(&params)?),
            ..Filters::default()
        };
        let entries = store.details(&filters)?;
        let counts = store.counts(&Filters::default())?;
        let months = crate::cli::stats::last_months(Utc::now().date_naive(), 24);
        let body = html::page(&html::Page {
            entries: &entries,
            counts: &counts,
            months: &months,
            tag,
        });
        return Ok(Some(Body {
            content_type: "text/html; charset=utf-8",
            bytes: body.into_bytes(),
            last_modified: store.last_change()?,
            cache: true,
        }));
    }
    let (meta, filters, search) = if path == "/feeds/all.atom" {
        let meta = atom::FeedMeta {
            id: "urn:ketlit:feed:all".into(),
            title: "ketlit: all entries".into(),
            self_url: format!("{base}/feeds/all.atom"),
            html_url: format!("{base}/"),
        };
        (meta, Filters::default(), None)
    } else if let Some(tag) = path
        .strip_prefix("/feeds/tag/")
        .and_then(|t| t.strip_suffix(".atom"))
    {
        let tag = percent_decode(tag)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::BadRequest("the tag in the path is not valid UTF-8".into()))?;
        let meta = atom::FeedMeta {
            id: format!("urn:ketlit:feed:tag:{tag}"),
            title: format!("ketlit: {tag}"),
            self_url: format!("{base}/feeds/tag/{}.atom", html::url_segment(&tag)),
            html_url: format!(
                "{base}/?tag={}",
                url::form_urlencoded::byte_serialize(tag.as_bytes()).collect::<String>()
            ),
        };
        let filters = Filters {
            tags: vec![tag],
            ..Filters::default()
        };
        (meta, filters, None)
    } else if path == "/feeds/search.atom" {
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
                url::form_urlencoded::byte_serialize(format!("{q}|{}", tags.join(",")).as_bytes())
                    .collect::<String>()
            ),
            title,
            self_url: format!("{base}/feeds/search.atom?{query}"),
            html_url: format!("{base}/"),
        };
        let filters = Filters {
            tags,
            ..Filters::default()
        };
        (meta, filters, Some(q))
    } else {
        return Ok(None);
    };
    let filters = Filters {
        limit: Some(limit(&params)?),
        ..filters
    };
    let store = Store::open_read_only(db)?;
    let entries = match search {
        Some(q) => {
            let ids: Vec<i64> = store.search(&q, &filters)?.iter().map(|s| s.id).collect();
            store.details_by_ids(&ids)?
        }
        None => store.details(&filters)?,
    };
    let body = atom::feed(&meta, &entries);
    Ok(Some(Body {
        content_type: "application/atom+xml; charset=utf-8",
        bytes: body.into_bytes(),
        last_modified: (!entries.is_empty()).then(|| atom::feed_updated(&entries)),
        cache: true,
    }))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes: Vec<u8> =
        url::form_urlencoded::parse(format!("t={}", s.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned().into_bytes())?;
    String::from_utf8(bytes).ok()
}

/// The HTTP-date form of `t` (RFC 9110 IMF-fixdate).
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// 200 with ETag (a hash of the exact body, so any change in the DB that shows in the
/// document changes it) and Last-Modified, or 304 when the client's copy is current.
/// If-None-Match wins over If-Modified-Since, as RFC 9110 says.
fn conditional(body: Body, req: &HeaderMap) -> Reply {
    let digest = sha2::Sha256::digest(&body.bytes);
    let etag = format!(
        "\"{}\"",
        digest
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let last_modified = body.last_modified.map(http_date);
    let fresh = match req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        Some(inm) => inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag || t == "*"),
        None => match (
            req.get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| DateTime::parse_from_rfc2822(v).ok()),
            body.last_modified,
        ) {
            (Some(since), Some(lm)) => lm.timestamp() <= since.timestamp(),
            _ => false,
        },
    };
    let mut r = if fresh {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Full::new(Bytes::from(body.bytes)));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(body.content_type),
        );
        r
    };
    let h = r.headers_mut();
    if body.cache {
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
        if let Some(v) = last_modified.and_then(|l| HeaderValue::from_str(&l).ok()) {
            h.insert(header::LAST_MODIFIED, v);
        }
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
    } else {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// Binds `addr`; a clear message when it is taken or not allowed.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("--addr {addr}: cannot listen: {e}"))
}
