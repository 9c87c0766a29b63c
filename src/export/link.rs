//! The one check every output makes before it writes a stored link as a link: only
//! absolute http and https URLs pass. Databases written before ingest filtered links
//! can hold `javascript:`, `data:` or `vbscript:` ones, so readers must not trust them.

use std::borrow::Cow;

/// `link` if it is an absolute http(s) URL, else `None`.
///
/// The scheme is read the way browsers read it (WHATWG URL parsing, which drops
/// leading spaces and control characters and tabs or newlines anywhere), so
/// `" java\tscript:…"` is seen as `javascript:`. A link with such characters in it
/// comes back in its parsed, clean form; any other passes through unchanged.
pub fn web_link(link: &str) -> Option<Cow<'_, str>> {
    let parsed = url::Url::parse(link).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return None;
    }
    if link.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some(Cow::Owned(parsed.into()))
    } else {
        Some(Cow::Borrowed(link))
    }
}

/// The link a reader should follow for a work: its own link when that is a web link,
/// else its DOI's resolver.
pub fn work_link(link: Option<&str>, doi: Option<&str>) -> Option<String> {
    link.and_then(web_link)
        .map(Cow::into_owned)
        .or_else(|| doi.and_then(doi_link))
}

/// `https://doi.org/DOI`, percent-encoding what a DOI may hold but a URL path may not.
pub fn doi_link(doi: &str) -> Option<String> {
    let doi = doi.trim();
    if doi.is_empty() {
        return None;
    }
    let mut u = url::Url::parse("https://doi.org/").ok()?;
    u.set_path(doi);
    Some(u.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_links_never_pass() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "ftp://example.org/x",
            "/relative/path",
            "//example.org/protocol-relative",
            "mailto:a@example.org",
            "http:",
            "",
        ] {
            assert_eq!(web_link(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn web_links_pass_as_they_are() {
        for good in [
            "https://example.org/paper/1?a=1&b=2",
            "http://example.org",
            "HTTPS://Example.org/x",
        ] {
            assert_eq!(web_link(good).as_deref(), Some(good));
        }
        assert_eq!(
            web_link(" https://example.org/a\nb ").as_deref(),
            Some("https://example.org/ab")
        );
        assert_eq!(
            work_link(Some("javascript:alert(1)"), Some("10.1000/x")).as_deref(),
            Some("https://doi.org/10.1000/x")
        );
        assert_eq!(work_link(Some("data:,x"), None), None);
    }
}
