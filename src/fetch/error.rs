//! Fetch failures: one enum with one-line human messages and a transient/permanent split.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

/// How long a server asked us to wait (Retry-After), already converted from
/// seconds or an HTTP date into a delay measured from when we received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    pub fn delay(self) -> Duration {
        self.0
    }
}

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&human_duration(self.0))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// Connecting failed, or the connection broke before response headers
    /// arrived (refused, reset, closed, malformed response head).
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("timed out after {}", human_duration(*.after))]
    Timeout { after: Duration },
    #[error("HTTP {code}{}{}", reason_suffix(*.code), retry_suffix(.retry_after))]
    Status {
        code: u16,
        retry_after: Option<RetryAfter>,
    },
    #[error("body larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("connection closed before the body was complete (got {got} of {expected} bytes)")]
    Truncated { got: u64, expected: u64 },
    #[error("more than {limit} redirects")]
    TooManyRedirects { limit: usize },
    /// A redirect without a usable Location, or to a scheme other than http(s).
    #[error("bad redirect: {0}")]
    BadRedirect(String),
    /// Reading or decoding the body failed for a reason other than the above.
    #[error("error reading body: {0}")]
    Body(String),
    #[error("could not build the HTTP client: {0}")]
    Client(String),
}

impl FetchError {
    /// Whether trying the same request later may well succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Connect(_) | Self::Timeout { .. } | Self::Truncated { .. } | Self::Body(_) => {
                true
            }
            Self::Status { code, .. } => *code >= 500 || *code == 429 || *code == 408,
            Self::InvalidUrl { .. }
            | Self::TooLarge { .. }
            | Self::TooManyRedirects { .. }
            | Self::BadRedirect(_)
            | Self::Client(_) => false,
        }
    }

    /// The HTTP status code, for `Status` errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The server's Retry-After, for `Status` errors that carried one.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Classifies a reqwest error; `body_len` is `(got, expected)` when the
    /// error happened while streaming a body of known length.
    pub(crate) fn from_reqwest(
        err: reqwest::Error,
        timeout: Duration,
        connect_timeout: Duration,
        body_len: Option<(u64, u64)>,
    ) -> Self {
        if err.is_timeout() {
            let after = if err.is_connect() {
                connect_timeout
            } else {
                timeout
            };
            return Self::Timeout { after };
        }
        if err.is_builder() {
            return Self::InvalidUrl {
                url: err.url().map(|u| u.to_string()).unwrap_or_default(),
                reason: root_cause(&err),
            };
        }
        if err.is_body() || err.is_decode() {
            return match body_len {
                Some((got, expected)) if got < expected => Self::Truncated { got, expected },
                _ => Self::Body(root_cause(&err)),
            };
        }
        Self::Connect(root_cause(&err))
    }
}

/// The innermost error's message: reqwest's outer layers only say "error
/// sending request for url (...)", the cause at the bottom is what helps.
fn root_cause(err: &reqwest::Error) -> String {
    let mut last: &dyn std::error::Error = err;
    while let Some(next) = last.source() {
        last = next;
    }
    one_line(&last.to_string())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn reason_suffix(code: u16) -> String {
    StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!(" {r}"))
        .unwrap_or_default()
}

fn retry_suffix(retry_after: &Option<RetryAfter>) -> String {
    retry_after
        .map(|r| format!(" (retry after {r})"))
        .unwrap_or_default()
}

/// "30 s" for whole seconds, "350 ms" below or between, kept short for logs.
pub(crate) fn human_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} s", d.as_secs())
    } else if d < Duration::from_secs(10) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_readable_line() {
        let e = FetchError::Status {
            code: 503,
            retry_after: Some(RetryAfter(Duration::from_secs(120))),
        };
        assert_eq!(
            e.to_string(),
            "HTTP 503 Service Unavailable (retry after 120 s)"
        );
        let e = FetchError::Status {
            code: 599,
            retry_after: None,
        };
        assert_eq!(e.to_string(), "HTTP 599");
        assert_eq!(
            FetchError::Timeout {
                after: Duration::from_secs(30)
            }
            .to_string(),
            "timed out after 30 s"
        );
        assert_eq!(
            FetchError::Timeout {
                after: Duration::from_millis(1500)
            }
            .to_string(),
            "timed out after 1500 ms"
        );
        assert_eq!(
            FetchError::TooLarge { limit: 20_000_000 }.to_string(),
            "body larger than 20000000 bytes"
        );
        assert_eq!(
            FetchError::Truncated {
                got: 10,
                expected: 1000
            }
            .to_string(),
            "connection closed before the body was complete (got 10 of 1000 bytes)"
        );
        assert_eq!(one_line("a\n  b\r\nc"), "a b c");
    }

    #[test]
    fn transient_classification() {
        let status = |code| FetchError::Status {
            code,
            retry_after: None,
        };
        for code in [500, 502, 503, 504, 429, 408] {
            assert!(status(code).is_transient(), "{code}");
        }
        for code in [400, 401, 403, 404, 410, 451] {
            assert!(!status(code).is_transient(), "{code}");
        }
        assert_eq!(status(410).status(), Some(410));
        assert!(FetchError::Connect("reset".into()).is_transient());
        assert!(!FetchError::TooLarge { limit: 1 }.is_transient());
        assert!(!FetchError::BadRedirect("ftp".into()).is_transient());
        assert_eq!(FetchError::Body("x".into()).status(), None);
    }
}
