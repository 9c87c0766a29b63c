//! HTTP fetching: one client, conditional GET, streaming body caps, per-host politeness.
//!
//! Redirects are followed here rather than by reqwest so that every hop goes
//! through the per-host limiter and the caller learns whether the whole chain
//! was permanent (and may repoint the feed).

mod error;
mod headers;
mod limiter;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LOCATION,
};
use url::Url;

pub use error::{FetchError, RetryAfter};
pub use headers::parse_http_date;
use limiter::HostLimiter;

/// Largest up-front body allocation; beyond this the buffer grows as bytes
/// actually arrive, so a lying Content-Length cannot make us reserve much.
const MAX_PREALLOC: u64 = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    pub user_agent: String,
    /// Per request (each redirect hop), covering headers and the whole body.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Cap on the decoded body size.
    pub max_body_bytes: u64,
    /// Default minimum gap between request starts to one hostname.
    pub per_host_interval: Duration,
    pub max_redirects: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            user_agent: "ketlit/0.1 (+https://github.com/ketlit/ketlit)".to_owned(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: 20_000_000,
            per_host_interval: Duration::from_millis(350),
            max_redirects: 5,
        }
    }
}

/// Cache validators, kept and sent back exactly as the server wrote them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// Freshness information from Cache-Control and Expires.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheHints {
    /// Cache-Control max-age (s-maxage is for shared caches and ignored).
    pub max_age: Option<Duration>,
    pub expires: Option<DateTime<Utc>>,
    pub no_store: bool,
    pub no_cache: bool,
}

impl CacheHints {
    /// How long from `now` the server considers the response fresh;
    /// max-age wins over Expires, as in RFC 9111.
    pub fn fresh_for(&self, now: DateTime<Utc>) -> Option<Duration> {
        if self.no_store || self.no_cache {
            return Some(Duration::ZERO);
        }
        self.max_age.or_else(|| {
            self.expires
                .map(|at| (at - now).to_std().unwrap_or(Duration::ZERO))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// 304: nothing changed; `validators` are refreshed from the 304 when it
    /// carried any, otherwise they are the ones that were sent.
    NotModified {
        validators: Validators,
    },
    Modified(Document),
}

/// A document the server sent, with what its response said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// Where the body actually came from after redirects.
    pub final_url: String,
    /// `Some(final_url)` when at least one redirect happened and every
    /// hop was 301/308, i.e. the caller may repoint to it.
    pub permanent_redirect: Option<String>,
    pub status: u16,
    pub cache: CacheHints,
}

/// HTTP client shared by all pollers; cloning is cheap and clones share the
/// connection pool and the per-host schedule.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    limiter: Arc<HostLimiter>,
    timeout: Duration,
    connect_timeout: Duration,
    max_body_bytes: u64,
    max_redirects: usize,
}

impl Fetcher {
    pub fn new(settings: &HttpSettings) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.as_str())
            .gzip(true)
            .brotli(true)
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Self {
            client,
            limiter: Arc::new(HostLimiter::new(settings.per_host_interval)),
            timeout: settings.timeout,
            connect_timeout: settings.connect_timeout,
            max_body_bytes: settings.max_body_bytes,
            max_redirects: settings.max_redirects,
        })
    }

    /// Overrides the minimum interval for one hostname (e.g. an API with a
    /// documented rate limit); applies to all clones of this fetcher.
    pub fn set_host_interval(&self, host: &str, interval: Duration) {
        self.limiter.set_interval(host, interval);
    }

    /// The interval currently applied to `host`.
    pub fn host_interval(&self, host: &str) -> Duration {
        self.limiter.interval_for(&host.to_ascii_lowercase())
    }

    /// Conditional GET of `url`, following up to `max_redirects` redirects.
    pub async fn get(
        &self,
        url: &str,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let mut current = parse_http_url(url)?;
        let conditional = conditional_headers(validators);
        let mut hops = 0usize;
        let mut all_permanent = true;
        loop {
            // parse_http_url and redirect checks guarantee a host.
            let host = current.host_str().unwrap_or_default().to_owned();
            self.limiter.wait_turn(&host).await;
            tracing::debug!(url = %current, "GET");
            let response = self
                .client
                .get(current.clone())
                .headers(conditional.clone())
                .send()
                .await
                .map_err(|e| self.map_err(e, None))?;
            let status = response.status();

            if status == StatusCode::NOT_MODIFIED {
                let fresh = headers::validators(response.headers());
                let validators = if fresh.is_empty() {
                    validators.clone()
                } else {
                    fresh
                };
                return Ok(FetchOutcome::NotModified { validators });
            }

            if is_followed_redirect(status) {
                hops += 1;
                if hops > self.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        limit: self.max_redirects,
                    });
                }
                all_permanent &= status == StatusCode::MOVED_PERMANENTLY
                    || status == StatusCode::PERMANENT_REDIRECT;
                current = redirect_target(&current, status, response.headers())?;
                continue;
            }

            if !status.is_success() {
                return Err(FetchError::Status {
                    code: status.as_u16(),
                    retry_after: headers::retry_after(response.headers(), Utc::now()),
                });
            }

            let final_url = current.to_string();
            let permanent_redirect = (hops > 0 && all_permanent).then(|| final_url.clone());
            let head = response.headers();
            let validators = headers::validators(head);
            let cache = headers::cache_hints(head);
            let content_type = headers::header_str(head, &CONTENT_TYPE).map(str::to_owned);
            let body = self.read_body(response).await?;
            return Ok(FetchOutcome::Modified(Document {
                body,
                content_type,
                validators,
                final_url,
                permanent_redirect,
                status: status.as_u16(),
                cache,
            }));
        }
    }

    /// Streams the body, counting decoded bytes, and stops as soon as the cap
    /// is crossed so a compression bomb never gets allocated.
    async fn read_body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        let limit = self.max_body_bytes;
        // reqwest drops Content-Length when it decodes, so a remaining length
        // normally describes exactly the bytes we will read; the encoding
        // check guards against an encoding it passed through undecoded.
        let declared = response
            .headers()
            .get(CONTENT_ENCODING)
            .is_none()
            .then(|| response.content_length())
            .flatten();
        if declared.is_some_and(|len| len > limit) {
            return Err(FetchError::TooLarge { limit });
        }
        let capacity = declared.unwrap_or(0).min(limit).min(MAX_PREALLOC);
        let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => {
                    let got = body.len() as u64;
                    return Err(self.map_err(e, declared.map(|len| (got, len))));
                }
            };
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        let got = body.len() as u64;
        match declared {
            Some(expected) if got < expected => Err(FetchError::Truncated { got, expected }),
            _ => Ok(body),
        }
    }

    fn map_err(&self, err: reqwest::Error, body_len: Option<(u64, u64)>) -> FetchError {
        FetchError::from_reqwest(err, self.timeout, self.connect_timeout, body_len)
    }
}

fn parse_http_url(url: &str) -> Result<Url, FetchError> {
    let invalid = |reason: String| FetchError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let parsed = Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(format!("unsupported scheme {:?}", parsed.scheme())));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host".to_owned()));
    }
    Ok(parsed)
}

fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

fn redirect_target(current: &Url, status: StatusCode, head: &HeaderMap) -> Result<Url, FetchError> {
    let code = status.as_u16();
    let location = headers::header_str(head, &LOCATION)
        .ok_or_else(|| FetchError::BadRedirect(format!("HTTP {code} without a usable Location")))?;
    let next = current
        .join(location)
        .map_err(|e| FetchError::BadRedirect(format!("Location {location:?}: {e}")))?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(FetchError::BadRedirect(format!(
            "refusing redirect to {} URL {next}",
            next.scheme()
        )));
    }
    if next.host_str().is_none_or(str::is_empty) {
        return Err(FetchError::BadRedirect(format!(
            "redirect to {next} has no host"
        )));
    }
    Ok(next)
}

/// Validators that cannot be a header value (never the case for ones we
/// stored from a response) are skipped rather than failing the request.
fn conditional_headers(validators: &Validators) -> HeaderMap {
    let mut map = HeaderMap::new();
    let pairs = [
        (IF_NONE_MATCH, validators.etag.as_deref()),
        (IF_MODIFIED_SINCE, validators.last_modified.as_deref()),
    ];
    for (name, value) in pairs {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            map.insert(name, value);
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_settings() {
        let s = HttpSettings::default();
        assert_eq!(s.timeout, Duration::from_secs(30));
        assert_eq!(s.max_redirects, 5);
        assert_eq!(s.max_body_bytes, 20_000_000);
    }

    #[test]
    fn fetcher_is_shareable_and_rejects_bad_settings() {
        fn shareable<T: Send + Sync + Clone + 'static>() {}
        shareable::<Fetcher>();
        let bad = HttpSettings {
            user_agent: "ketlit\nInjected: yes".into(),
            ..HttpSettings::default()
        };
        assert!(matches!(Fetcher::new(&bad), Err(FetchError::Client(_))));
        assert!(Fetcher::new(&HttpSettings::default()).is_ok());
    }

    #[test]
    fn only_http_urls_are_accepted() {
        assert!(parse_http_url("https://example.org/feed").is_ok());
        for bad in [
            "ftp://example.org/",
            "file:///etc/passwd",
            "not a url",
            "http://",
        ] {
            let err = parse_http_url(bad).unwrap_err();
            assert!(matches!(err, FetchError::InvalidUrl { .. }), "{bad}: {err}");
            assert!(!err.is_transient());
        }
    }

    #[test]
    fn redirect_resolution() {
        let base = Url::parse("https://a.example/x/feed").unwrap();
        let mut head = HeaderMap::new();
        head.insert(LOCATION, HeaderValue::from_static("../new?q=1"));
        let next = redirect_target(&base, StatusCode::FOUND, &head).unwrap();
        assert_eq!(next.as_str(), "https://a.example/new?q=1");
        head.insert(LOCATION, HeaderValue::from_static("ftp://a.example/feed"));
        assert!(matches!(
            redirect_target(&base, StatusCode::FOUND, &head),
            Err(FetchError::BadRedirect(_))
        ));
        head.remove(LOCATION);
        assert!(matches!(
            redirect_target(&base, StatusCode::MOVED_PERMANENTLY, &head),
            Err(FetchError::BadRedirect(_))
        ));
    }

    #[test]
    fn conditional_headers_are_verbatim() {
        let v = Validators {
            etag: Some("W/\"abc\"".into()),
            last_modified: Some("Sun, 06 Nov 1994 08:49:37 GMT".into()),
        };
        let h = conditional_headers(&v);
        assert_eq!(h[IF_NONE_MATCH], "W/\"abc\"");
        assert_eq!(h[IF_MODIFIED_SINCE], "Sun, 06 Nov 1994 08:49:37 GMT");
        let bad = Validators {
            etag: Some("a\nb".into()),
            last_modified: None,
        };
        assert!(conditional_headers(&bad).is_empty());
    }

    #[test]
    fn freshness() {
        let now = Utc::now();
        let hints = CacheHints {
            max_age: Some(Duration::from_secs(60)),
            expires: Some(now + chrono::Duration::hours(1)),
            ..CacheHints::default()
        };
        assert_eq!(hints.fresh_for(now), Some(Duration::from_secs(60)));
        let hints = CacheHints {
            expires: Some(now - chrono::Duration::hours(1)),
            ..CacheHints::default()
        };
        assert_eq!(hints.fresh_for(now), Some(Duration::ZERO));
        assert_eq!(CacheHints::default().fresh_for(now), None);
    }
}
