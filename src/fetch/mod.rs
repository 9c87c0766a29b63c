//! HTTP fetching: one client, conditional GET, streaming body caps, per-host politeness.
// TEMPORARY placeholder until the fetch branch merges.
use chrono::{DateTime, Utc};
use std::time::Duration;
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub user_agent: String,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_body_bytes: u64,
    pub per_host_interval: Duration,
    pub max_redirects: usize,
}
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}
#[derive(Debug, Clone, Default)]
pub struct CacheHints {
    pub max_age: Option<Duration>,
    pub expires: Option<DateTime<Utc>>,
}
#[derive(Debug, Clone)]
pub struct RetryAfter(pub Duration);
#[derive(Debug)]
pub enum FetchOutcome {
    NotModified {
        validators: Validators,
    },
    Modified {
        body: Vec<u8>,
        content_type: Option<String>,
        validators: Validators,
        final_url: String,
        permanent_redirect: Option<String>,
        status: u16,
        cache: CacheHints,
    },
}
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {code}")]
    Status {
        code: u16,
        retry_after: Option<RetryAfter>,
    },
}
impl FetchError {
    pub fn is_transient(&self) -> bool {
        true
    }
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { code, .. } => Some(*code),
        }
    }
}
#[derive(Clone)]
pub struct Fetcher;
impl Fetcher {
    pub fn new(_: &HttpSettings) -> Result<Fetcher, FetchError> {
        Ok(Fetcher)
    }
    pub async fn get(&self, _: &str, _: &Validators) -> Result<FetchOutcome, FetchError> {
        Err(FetchError::Status {
            code: 500,
            retry_after: None,
        })
    }
}
