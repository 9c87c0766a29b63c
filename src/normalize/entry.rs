//! The last normalisation every entry gets before it is stored or printed: text
//! without control characters (so no terminal escape reaches `show` or `list`),
//! links that are absolute http(s) or nothing, and lists without repeats.

use std::borrow::Cow;
use std::collections::HashSet;

use url::Url;

use crate::model::RawEntry;

/// Cleans `e` in place. `base` is the document's address, against which relative
/// links are resolved. Idempotent, and allocates only for fields it changes.
pub fn finish(e: &mut RawEntry, base: Option<&Url>) {
    for field in [
        &mut e.guid,
        &mut e.title,
        &mut e.summary,
        &mut e.content,
        &mut e.journal,
        &mut e.doi,
        &mut e.pmid,
        &mut e.pmcid,
        &mut e.nct_id,
    ] {
        clean_opt(field);
    }
    for list in [
        &mut e.authors,
        &mut e.categories,
        &mut e.mesh,
        &mut e.publication_types,
    ] {
        clean_list(list);
    }
    e.link = e
        .link
        .take()
        .and_then(|l| web_link(&l, base).map(Cow::into_owned));
}

/// `link` as an absolute http or https URL (resolved against `base` when
/// relative), or `None`: `javascript:`, `data:`, `vbscript:` and every other
/// scheme are dropped, so no stored link can run a script where it is shown. The
/// scheme is read as browsers read it (WHATWG URL parsing drops control characters
/// and tabs), so `" java\tscript:…"` is `javascript:`. A clean absolute link comes
/// back as written; a relative or unclean one in its parsed form.
pub fn web_link<'a>(link: &'a str, base: Option<&Url>) -> Option<Cow<'a, str>> {
    // Controls go first, as terminals and some readers would drop them.
    let stripped = strip_controls(link);
    let trimmed = stripped.trim();
    if trimmed.is_empty() {
        return None;
    }
    let (url, relative) = match Url::parse(trimmed) {
        Ok(u) => (u, false),
        Err(url::ParseError::RelativeUrlWithoutBase) => (base?.join(trimmed).ok()?, true),
        Err(_) => return None,
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    let as_written = !relative && !link.chars().any(|c| c.is_whitespace() || c.is_control());
    Some(if as_written {
        Cow::Borrowed(link)
    } else {
        Cow::Owned(url.into())
    })
}

fn clean_opt(field: &mut Option<String>) {
    if let Some(s) = field
        && let Cow::Owned(clean) = strip_controls(s)
    {
        *field = (!clean.trim().is_empty()).then_some(clean);
    }
}

/// Cleans each item, drops empty ones and keeps the first of repeats, in order,
/// in time linear in the list's length.
fn clean_list(list: &mut Vec<String>) {
    for item in list.iter_mut() {
        if let Cow::Owned(clean) = strip_controls(item) {
            *item = clean;
        }
    }
    list.retain(|s| !s.trim().is_empty());
    dedup_in_order(list);
}

/// Drops repeats from `list`, keeping the first of each, in time linear in its length
/// (parsers push freely and call this once, rather than scanning on every push).
pub fn dedup_in_order<T: Eq + std::hash::Hash + Clone>(list: &mut Vec<T>) {
    if list.len() < 2 {
        return;
    }
    let mut seen: HashSet<T> = HashSet::with_capacity(list.len());
    list.retain(|s| seen.insert(s.clone()));
}

/// `s` without C0 controls (but tab and newline), DEL, C1 controls, and whole
/// escape sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL or ESC \`, and
/// two-character `ESC x`). Borrows when there is nothing to strip.
pub fn strip_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_stripped) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            skip_escape(&mut chars);
        } else if !is_stripped(c) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_stripped(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n') || c == '\u{7f}'
}

/// Skips what follows an ESC: the rest of a CSI or OSC sequence, or one character.
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => {
            // Parameters and intermediates, then one final byte in @..~.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
        Some(']') => {
            while let Some(c) = chars.next() {
                if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                    break;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_control_characters_are_stripped_from_text() {
        assert_eq!(
            strip_controls("\u{1b}[31mKetamine\u{1b}[0m for TRD"),
            "Ketamine for TRD"
        );
        assert_eq!(
            strip_controls("\u{1b}]0;owned\u{7}Title\u{1b}]8;;http://x\u{1b}\\link"),
            "Titlelink"
        );
        assert_eq!(
            strip_controls("a\u{0}b\u{7}c\u{8}d\u{7f}e\u{9b}f\rg"),
            "abcdefg"
        );
        assert_eq!(
            strip_controls("tab\tand\nnewline stay"),
            "tab\tand\nnewline stay"
        );
        assert!(matches!(strip_controls("plain é text"), Cow::Borrowed(_)));
        // A lone ESC at the end, or a sequence never finished, ends the text.
        assert_eq!(strip_controls("x\u{1b}"), "x");
        assert_eq!(strip_controls("x\u{1b}[12;3"), "x");
    }

    #[test]
    fn only_absolute_http_links_are_kept_and_relative_ones_are_resolved() {
        let base = Url::parse("https://journal.example/toc/feed.xml").unwrap();
        let b = Some(&base);
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "java\u{0}script:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "ftp://x.org/a",
            "",
        ] {
            assert_eq!(web_link(bad, b), None, "{bad:?}");
        }
        assert_eq!(
            web_link("/doi/10.1/x", b).as_deref(),
            Some("https://journal.example/doi/10.1/x")
        );
        assert_eq!(
            web_link("a/1", b).as_deref(),
            Some("https://journal.example/toc/a/1")
        );
        assert_eq!(web_link("a/1", None), None);
        assert_eq!(
            web_link(" https://x.org/a b", None).as_deref(),
            Some("https://x.org/a%20b")
        );
        assert_eq!(
            web_link("HTTP://Example.org/A", None).as_deref(),
            Some("HTTP://Example.org/A"),
            "a clean absolute link is kept as written"
        );
    }

    #[test]
    fn finish_cleans_every_text_field_and_keeps_the_first_of_repeated_authors() {
        let mut e = RawEntry {
            title: Some("\u{1b}[2JKetamine".into()),
            guid: Some("urn:\u{1b}[1mx".into()),
            journal: Some("\u{7}".into()),
            link: Some("javascript:alert(1)".into()),
            authors: vec![
                "Reif A".into(),
                "Li\u{1b}[5m B".into(),
                "Reif A".into(),
                "".into(),
            ],
            categories: vec!["x\u{0}".into(), "x".into()],
            ..RawEntry::default()
        };
        finish(&mut e, None);
        assert_eq!(e.title.as_deref(), Some("Ketamine"));
        assert_eq!(e.guid.as_deref(), Some("urn:x"));
        assert_eq!(e.journal, None);
        assert_eq!(e.link, None);
        assert_eq!(e.authors, ["Reif A", "Li B"]);
        assert_eq!(e.categories, ["x"]);
        let again = e.clone();
        finish(&mut e, None);
        assert_eq!(e, again, "idempotent");
    }

    #[test]
    fn deduplicating_a_long_author_list_is_linear() {
        let time = |n: usize| {
            let mut e = RawEntry {
                authors: (0..n).map(|i| format!("Author {}", i % (n / 2))).collect(),
                ..RawEntry::default()
            };
            let t = std::time::Instant::now();
            finish(&mut e, None);
            assert_eq!(e.authors.len(), n / 2);
            t.elapsed()
        };
        time(1000);
        // Ten times the input may take at most some forty times as long (a quadratic
        // scan takes a hundred times); the smaller size is repeated for a stable floor.
        let small = (0..5).map(|_| time(20_000)).min().unwrap();
        let large = (0..3).map(|_| time(200_000)).min().unwrap();
        assert!(large < small * 40, "{small:?} -> {large:?}");
    }
}
