//! One request in, one response out: method check, routing, the conditional-request
//! decision (made from the data's version before any body is built), error statuses,
//! and the security headers every response carries.

use chrono::{DateTime, Utc};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Response, StatusCode};
use sha2::Digest;

use super::routes::{self, Body, Error, Route};
use super::state::{State, Validators};
use super::{html, http_date};

pub type Reply = Response<Full<Bytes>>;

/// Answers one request. Synchronous: it reads SQLite.
pub fn respond(
    state: &State,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> Reply {
    let mut reply = if method != Method::GET && method != Method::HEAD {
        let mut r = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "read-only: GET and HEAD only\n",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        r
    } else {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        match Route::parse(path, query, host)
            .and_then(|r| answer(state, r, path, query, host, headers))
        {
            Ok(Some(reply)) => reply,
            Ok(None) => text(StatusCode::NOT_FOUND, "not found\n"),
            Err(e) => error(e),
        }
    };
    if method == Method::HEAD {
        *reply.body_mut() = Full::new(Bytes::new());
    }
    secure(reply.headers_mut());
    reply
}

fn answer(
    state: &State,
    route: Option<Route>,
    path: &str,
    query: &str,
    host: Option<&str>,
    req: &HeaderMap,
) -> Result<Option<Reply>, Error> {
    let Some(route) = route else {
        return Ok(None);
    };
    if let Route::Health = route {
        let body = routes::health(state)?;
        let mut r = ok(body);
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(Some(r));
    }
    // The home page's chart also moves with the month.
    let month = match route {
        Route::Home { .. } => Utc::now().format("%Y-%m").to_string(),
        _ => String::new(),
    };
    let key = format!("{}\n{path}?{query}\n{month}", host.unwrap_or(""));
    // Read before rendering: a body newer than its version is only ever re-rendered.
    let version = state.version();
    if let Some(v) = state.remembered(&key, version)
        && fresh(&v, req) == Some(true)
    {
        return Ok(Some(not_modified(&v)));
    }
    let body = render(state, &route, version)?;
    let v = Validators {
        etag: etag(&body.bytes),
        last_modified: body.last_modified,
    };
    state.remember(key, version, v.clone());
    Ok(Some(if fresh(&v, req).unwrap_or(false) {
        not_modified(&v)
    } else {
        let mut r = ok(body);
        validators(r.headers_mut(), &v);
        r
    }))
}

fn render(state: &State, route: &Route, version: u64) -> Result<Body, Error> {
    match route {
        Route::Home { tag, limit } => routes::home(state, version, tag.as_deref(), *limit),
        Route::Feed(f) => routes::feed(state, f),
        Route::Health => routes::health(state),
    }
}

/// A strong ETag: a hash of the exact body, so it changes with anything the database
/// shows in the document and stays the same across restarts when nothing did.
fn etag(bytes: &[u8]) -> String {
    let digest = sha2::Sha256::digest(bytes);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether the client's copy is current: `None` when the request is not conditional.
/// If-None-Match wins over If-Modified-Since, as RFC 9110 says.
fn fresh(v: &Validators, req: &HeaderMap) -> Option<bool> {
    if let Some(inm) = req.get(header::IF_NONE_MATCH).and_then(|h| h.to_str().ok()) {
        return Some(
            inm.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == v.etag || t == "*"),
        );
    }
    let since = req
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| DateTime::parse_from_rfc2822(h).ok())?;
    Some(
        v.last_modified
            .is_some_and(|lm| lm.timestamp() <= since.timestamp()),
    )
}

fn not_modified(v: &Validators) -> Reply {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::NOT_MODIFIED;
    validators(r.headers_mut(), v);
    r
}

fn ok(body: Body) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body.bytes)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(body.content_type),
    );
    r
}

fn validators(h: &mut HeaderMap, v: &Validators) {
    if let Ok(e) = HeaderValue::from_str(&v.etag) {
        h.insert(header::ETAG, e);
    }
    if let Some(lm) = v
        .last_modified
        .and_then(|t| HeaderValue::from_str(&http_date(t)).ok())
    {
        h.insert(header::LAST_MODIFIED, lm);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
}

fn error(e: Error) -> Reply {
    match e {
        Error::BadRequest(m) => text(StatusCode::BAD_REQUEST, &format!("{m}\n")),
        Error::Store(e) => {
            // The path and SQLite's words go to the log, not to whoever asked.
            tracing::error!("{e}");
            let mut r = text(StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n");
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            r
        }
    }
}

pub fn text(status: StatusCode, body: &str) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The headers that keep a page or feed from being framed, sniffed into another type,
/// running anything, loading anything but its own style sheet, or telling the sites it
/// links to where the reader came from.
pub fn secure(h: &mut HeaderMap) {
    static CSP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "default-src 'none'; style-src {}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            html::style_hash()
        )
    });
    if let Ok(csp) = HeaderValue::from_str(&CSP) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    let fixed: [(HeaderName, &'static str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        h.insert(name, HeaderValue::from_static(value));
    }
}
