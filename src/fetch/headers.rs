//! Parsing of the response headers the fetcher cares about: HTTP dates,
//! Retry-After, Cache-Control/Expires and validators.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::header::{
    CACHE_CONTROL, ETAG, EXPIRES, HeaderMap, HeaderName, LAST_MODIFIED, RETRY_AFTER,
};

use super::{CacheHints, RetryAfter, Validators};

/// Parses an HTTP date in any of the three forms RFC 9110 says recipients
/// must accept: IMF-fixdate (RFC 1123), obsolete RFC 850, and asctime.
pub fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(date) = DateTime::parse_from_rfc2822(value) {
        return Some(date.with_timezone(&Utc));
    }
    // Some servers send a weekday that does not match the date, which the
    // RFC 2822 parser rejects; the date itself is still what they mean.
    if let Some((_, rest)) = value.split_once(", ") {
        for format in ["%d %b %Y %H:%M:%S GMT", "%d-%b-%y %H:%M:%S GMT"] {
            if let Ok(naive) = NaiveDateTime::parse_from_str(rest, format) {
                return Some(naive.and_utc());
            }
        }
    }
    NaiveDateTime::parse_from_str(value, "%a %b %e %H:%M:%S %Y")
        .ok()
        .map(|naive| naive.and_utc())
}

/// Retry-After as delta-seconds or an HTTP date, turned into a delay from `now`.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<RetryAfter> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // An absurd number of digits still means "a very long time".
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(RetryAfter(Duration::from_secs(secs)));
    }
    let at = parse_http_date(value)?;
    Some(RetryAfter((at - now).to_std().unwrap_or(Duration::ZERO)))
}

pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<RetryAfter> {
    header_str(headers, &RETRY_AFTER).and_then(|v| parse_retry_after(v, now))
}

pub fn cache_hints(headers: &HeaderMap) -> CacheHints {
    let mut hints = CacheHints {
        expires: header_str(headers, &EXPIRES).and_then(parse_http_date),
        ..CacheHints::default()
    };
    let directives = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    for directive in directives {
        let (name, arg) = match directive.split_once('=') {
            Some((name, arg)) => (name.trim(), Some(arg.trim().trim_matches('"'))),
            None => (directive.trim(), None),
        };
        if name.eq_ignore_ascii_case("max-age") {
            if hints.max_age.is_none() {
                hints.max_age = arg.and_then(parse_delta_seconds);
            }
        } else if name.eq_ignore_ascii_case("no-store") {
            hints.no_store = true;
        } else if name.eq_ignore_ascii_case("no-cache") {
            hints.no_cache = true;
        }
    }
    hints
}

/// RFC 9111 delta-seconds: digits only; values too large to represent are
/// treated as 2^31 seconds, as the RFC instructs.
fn parse_delta_seconds(arg: &str) -> Option<Duration> {
    if arg.is_empty() || !arg.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs = arg.parse::<u64>().unwrap_or(1 << 31).min(1 << 31);
    Some(Duration::from_secs(secs))
}

/// Validators from a response, each taken only if it can be sent back
/// byte-for-byte (visible ASCII), since they are echoed verbatim.
pub fn validators(headers: &HeaderMap) -> Validators {
    Validators {
        etag: header_str(headers, &ETAG).map(str::to_owned),
        last_modified: header_str(headers, &LAST_MODIFIED).map(str::to_owned),
    }
}

/// A header's value when present and visible ASCII; anything else a server
/// sends (raw bytes, Latin-1) is treated as absent instead of guessed at.
pub fn header_str<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reqwest::header::HeaderValue;

    fn nov_6_1994() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(1994, 11, 6, 8, 49, 37).unwrap()
    }

    #[test]
    fn http_date_all_three_forms() {
        let want = Some(nov_6_1994());
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), want);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), want);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), want);
        // Wrong weekday is tolerated.
        assert_eq!(parse_http_date("Mon, 06 Nov 1994 08:49:37 GMT"), want);
        assert_eq!(parse_http_date("0"), None);
        assert_eq!(parse_http_date(""), None);
        assert_eq!(parse_http_date("Sun, 99 Nov 1994 08:49:37 GMT"), None);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = nov_6_1994();
        assert_eq!(
            parse_retry_after("120", now),
            Some(RetryAfter(Duration::from_secs(120)))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(RetryAfter(Duration::from_secs(60)))
        );
        // A date in the past clamps to zero rather than going negative.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(RetryAfter(Duration::ZERO))
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(RetryAfter(Duration::from_secs(u64::MAX)))
        );
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn cache_control_directives() {
        let mut headers = HeaderMap::new();
        headers.append(
            CACHE_CONTROL,
            HeaderValue::from_static("public, s-maxage=10, MAX-AGE=\"600\""),
        );
        headers.append(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.append(
            EXPIRES,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        let hints = cache_hints(&headers);
        assert_eq!(hints.max_age, Some(Duration::from_secs(600)));
        assert_eq!(hints.expires, Some(nov_6_1994()));
        assert!(hints.no_cache);
        assert!(!hints.no_store);
    }

    #[test]
    fn cache_control_rubbish_is_ignored() {
        let mut headers = HeaderMap::new();
        headers.append(
            CACHE_CONTROL,
            HeaderValue::from_static("max-age=-1, max-age, =, ,no-store"),
        );
        headers.append(EXPIRES, HeaderValue::from_static("0"));
        let hints = cache_hints(&headers);
        assert_eq!(hints.max_age, None);
        assert_eq!(hints.expires, None);
        assert!(hints.no_store);
        let mut headers = HeaderMap::new();
        headers.append(
            CACHE_CONTROL,
            HeaderValue::from_static("max-age=99999999999999999999"),
        );
        assert_eq!(
            cache_hints(&headers).max_age,
            Some(Duration::from_secs(1 << 31))
        );
    }

    #[test]
    fn non_ascii_validators_are_dropped() {
        let mut headers = HeaderMap::new();
        headers.insert(ETAG, HeaderValue::from_bytes(b"\"caf\xe9\"").unwrap());
        headers.insert(
            LAST_MODIFIED,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        let v = validators(&headers);
        assert_eq!(v.etag, None);
        assert_eq!(
            v.last_modified.as_deref(),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );
    }
}
