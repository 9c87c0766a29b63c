//! Canonical forms of article identifiers (DOI, PMID, PMCID, NCT id) and their extraction from text and links.

use std::borrow::Cow;

/// Prefixes (compared case-insensitively) that wrap a DOI in links and identifiers.
const DOI_PREFIXES: &[&str] = &[
    "https://doi.org/",
    "http://doi.org/",
    "https://dx.doi.org/",
    "http://dx.doi.org/",
    "https://www.doi.org/",
    "doi.org/",
    "info:doi/",
    "urn:doi:",
    "doi:",
    "doi ",
];

/// Canonical DOI: lower-case, no URL/`doi:` prefix, percent-decoded, starting
/// with `10.` and containing a `/` with a non-empty suffix. Trailing sentence
/// punctuation is removed (a trailing `)` only when unbalanced).
pub fn normalize_doi(s: &str) -> Option<String> {
    let mut s = s.trim();
    for p in DOI_PREFIXES {
        if let Some(head) = s.get(..p.len())
            && head.eq_ignore_ascii_case(p)
        {
            s = s[p.len()..].trim_start();
            break;
        }
    }
    let decoded = percent_decode(s);
    let s = decoded.split_whitespace().next()?;
    let mut doi = s.to_ascii_lowercase();
    trim_doi_tail(&mut doi);
    let rest = doi.strip_prefix("10.")?;
    let (registrant, suffix) = rest.split_once('/')?;
    if registrant.is_empty()
        || !registrant.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || suffix.is_empty()
    {
        return None;
    }
    Some(doi)
}

/// Pops trailing punctuation, and a `)` that closes nothing in the DOI. The
/// parentheses are counted once, then kept up to date as characters go, so a tail
/// of many `)` costs linear time.
fn trim_doi_tail(doi: &mut String) {
    let opens = doi.bytes().filter(|&b| b == b'(').count();
    let mut closes = doi.bytes().filter(|&b| b == b')').count();
    while let Some(last) = doi.chars().next_back() {
        let strip = match last {
            '.' | ',' | ';' | ':' | '\'' | '"' | ']' | '}' | '>' => true,
            ')' => opens < closes,
            _ => false,
        };
        if !strip {
            return;
        }
        if last == ')' {
            closes -= 1;
        }
        doi.pop();
    }
}

fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|c| (*c as char).to_digit(16)),
                b.get(i + 2).and_then(|c| (*c as char).to_digit(16)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Finds the first DOI in free text or a URL (`…doi.org/10.…`, `…/doi/full/10.…`,
/// "doi: 10.…"). Stops at whitespace, quotes, angle brackets and URL query/fragment.
pub fn find_doi_in(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(off) = s.get(from..)?.find("10.") {
        let at = from + off;
        from = at + 3;
        if at > 0 && b[at - 1].is_ascii_alphanumeric() {
            continue;
        }
        let mut j = at + 3;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j - (at + 3) < 4 {
            continue;
        }
        // The registrant/suffix separator may be percent-encoded in links.
        let sep = if b.get(j) == Some(&b'/') {
            1
        } else if b
            .get(j..j + 3)
            .is_some_and(|t| t.eq_ignore_ascii_case(b"%2f"))
        {
            3
        } else {
            continue;
        };
        let mut end = j + sep;
        while end < b.len()
            && !b[end].is_ascii_whitespace()
            && !matches!(b[end], b'"' | b'\'' | b'<' | b'>' | b'?' | b'#' | b'&')
        {
            end += 1;
        }
        if let Some(doi) = s.get(at..end).and_then(normalize_doi) {
            return Some(doi);
        }
    }
    None
}

/// Strips the first matching prefix (ASCII case-insensitive).
fn strip_prefix_ci<'a>(s: &'a str, prefixes: &[&str]) -> Option<&'a str> {
    prefixes.iter().find_map(|p| {
        let head = s.get(..p.len())?;
        head.eq_ignore_ascii_case(p).then(|| &s[p.len()..])
    })
}

/// The rest of an identifier after its digits must be empty or a URL tail.
fn only_url_tail(rest: &str) -> bool {
    rest.is_empty() || rest.starts_with(['/', '?', '#'])
}

const PMID_PREFIXES: &[&str] = &[
    "https://pubmed.ncbi.nlm.nih.gov/",
    "http://pubmed.ncbi.nlm.nih.gov/",
    "https://www.ncbi.nlm.nih.gov/pubmed/",
    "http://www.ncbi.nlm.nih.gov/pubmed/",
    "https://ncbi.nlm.nih.gov/pubmed/",
    "info:pmid/",
    "pubmed:",
    "pmid:",
    "pmid ",
];

/// Canonical PMID (digits only) from a bare number or a prefixed/linked form:
/// `pmid:123`, `PMID: 123`, `info:pmid/123`, `pubmed:123`, `https://pubmed.ncbi.nlm.nih.gov/123/`.
pub fn normalize_pmid(s: &str) -> Option<String> {
    let s = s.trim();
    let rest = strip_prefix_ci(s, PMID_PREFIXES).map_or(s, str::trim_start);
    digits_then_tail(rest)
}

/// Like [`normalize_pmid`] but only accepts explicitly marked forms (prefix or
/// PubMed link), for values such as GUIDs where a bare number means nothing.
pub fn pmid_from_reference(s: &str) -> Option<String> {
    let s = s.trim();
    let rest = strip_prefix_ci(s, PMID_PREFIXES)?.trim_start();
    digits_then_tail(rest)
}

fn digits_then_tail(rest: &str) -> Option<String> {
    let n = rest.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || n > 10 || !only_url_tail(&rest[n..]) {
        return None;
    }
    Some(rest[..n].to_string())
}

/// Canonical PMCID (`PMC` + digits) from `pmc123`, `PMCID: PMC123`, or a PMC article link.
pub fn normalize_pmcid(s: &str) -> Option<String> {
    let s = s.trim();
    let rest = strip_prefix_ci(
        s,
        &[
            "https://www.ncbi.nlm.nih.gov/pmc/articles/",
            "http://www.ncbi.nlm.nih.gov/pmc/articles/",
            "https://pmc.ncbi.nlm.nih.gov/articles/",
            "https://europepmc.org/article/pmc/",
            "info:pmcid/",
            "pmcid:",
            "pmc:",
            "pmcid ",
        ],
    )
    .map_or(s, str::trim_start);
    let digits = strip_prefix_ci(rest, &["pmc"])?;
    digits_then_tail(digits).map(|d| format!("PMC{d}"))
}

/// All ClinicalTrials.gov ids (`NCT` + exactly 8 digits) in the text, upper-cased,
/// deduplicated, in order of first appearance.
pub fn find_nct_ids(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let b = s.as_bytes();
    // Only an `n` can start an id: memchr jumps between them (SIMD) where a byte loop
    // looked at every byte of every abstract.
    let mut after = 0;
    for i in memchr::memchr2_iter(b'n', b'N', b) {
        if i >= after && nct_at(b, i) {
            let id = format!("NCT{}", &s[i + 3..i + 11]);
            if !out.contains(&id) {
                out.push(id);
            }
            after = i + 11;
        }
    }
    out
}

/// Whether an NCT id starts at `i`, where `b[i]` is an `n` or `N`: "ct", then exactly
/// eight digits, not glued to a word or number before or after.
fn nct_at(b: &[u8], i: usize) -> bool {
    i + 11 <= b.len()
        && b[i + 1..i + 3].eq_ignore_ascii_case(b"ct")
        && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
        && b[i + 3..i + 11].iter().all(u8::is_ascii_digit)
        && b.get(i + 11).is_none_or(|c| !c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doi_forms() {
        let want = Some("10.1038/s41380-024-02501-1".to_string());
        assert_eq!(
            normalize_doi("https://doi.org/10.1038/S41380-024-02501-1"),
            want
        );
        assert_eq!(normalize_doi("doi:10.1038/s41380-024-02501-1"), want);
        assert_eq!(normalize_doi(" DOI: 10.1038/s41380-024-02501-1. "), want);
        assert_eq!(
            normalize_doi("http://dx.doi.org/10.1038/s41380-024-02501-1"),
            want
        );
        assert_eq!(normalize_doi("info:doi/10.1038%2Fs41380-024-02501-1"), want);
        assert_eq!(normalize_doi("10.1038/s41380-024-02501-1);"), want);
        assert_eq!(
            normalize_doi("10.1016/S0140-6736(24)00001-X"),
            Some("10.1016/s0140-6736(24)00001-x".into())
        );
        assert_eq!(normalize_doi("11.1038/x"), None);
        assert_eq!(normalize_doi("10.1038"), None);
        assert_eq!(normalize_doi("10.1038/"), None);
        assert_eq!(normalize_doi(""), None);
    }

    #[test]
    fn trimming_a_doi_with_a_long_tail_of_parentheses_is_linear() {
        let time = |n: usize| {
            let mut doi = format!("10.1000/a(b){}", ")".repeat(n));
            let t = std::time::Instant::now();
            trim_doi_tail(&mut doi);
            assert_eq!(doi, "10.1000/a(b)");
            t.elapsed()
        };
        time(1000);
        let small = (0..5).map(|_| time(20_000)).min().unwrap();
        let large = (0..3).map(|_| time(200_000)).min().unwrap();
        // Linear: ten times the tail, about ten times the time; quadratic is a hundred.
        assert!(large < small * 40, "{small:?} -> {large:?}");
    }

    #[test]
    fn doi_in_text_and_links() {
        assert_eq!(
            find_doi_in("https://doi.org/10.1038/s41380-024-1.x"),
            Some("10.1038/s41380-024-1.x".into())
        );
        assert_eq!(
            find_doi_in("https://www.nature.com/articles/s41380-024-02501-1"),
            None
        );
        assert_eq!(
            find_doi_in("https://onlinelibrary.wiley.com/doi/10.1002/da.23456?af=R"),
            Some("10.1002/da.23456".into())
        );
        assert_eq!(
            find_doi_in("Published as doi: 10.1176/appi.ajp.2024.1234, see"),
            Some("10.1176/appi.ajp.2024.1234".into())
        );
        assert_eq!(find_doi_in("version 10.1 of 2024/05"), None);
        assert_eq!(find_doi_in("ab10.1234/x"), None);
        assert_eq!(
            find_doi_in("https://doi.org/10.1101%2F2024.01.02.123456"),
            Some("10.1101/2024.01.02.123456".into())
        );
    }

    #[test]
    fn pmid_forms() {
        let want = Some("38123456".to_string());
        assert_eq!(normalize_pmid("38123456"), want);
        assert_eq!(normalize_pmid("pmid:38123456"), want);
        assert_eq!(normalize_pmid("PMID: 38123456"), want);
        assert_eq!(normalize_pmid("info:pmid/38123456"), want);
        assert_eq!(normalize_pmid("pubmed:38123456"), want);
        assert_eq!(
            normalize_pmid("https://pubmed.ncbi.nlm.nih.gov/38123456/"),
            want
        );
        assert_eq!(
            normalize_pmid("https://pubmed.ncbi.nlm.nih.gov/38123456/?utm_source=rss"),
            want
        );
        assert_eq!(normalize_pmid("38123456x"), None);
        assert_eq!(normalize_pmid("https://example.org/38123456"), None);
        assert_eq!(pmid_from_reference("38123456"), None);
        assert_eq!(pmid_from_reference("pubmed:38123456"), want);
    }

    #[test]
    fn pmcid_forms() {
        let want = Some("PMC11012345".to_string());
        assert_eq!(normalize_pmcid("pmc11012345"), want);
        assert_eq!(normalize_pmcid("PMCID: PMC11012345"), want);
        assert_eq!(
            normalize_pmcid("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC11012345/"),
            want
        );
        assert_eq!(
            normalize_pmcid("https://pmc.ncbi.nlm.nih.gov/articles/PMC11012345/"),
            want
        );
        assert_eq!(normalize_pmcid("pmc:PMC11012345"), want);
        assert_eq!(normalize_pmcid("11012345"), None);
        assert_eq!(normalize_pmcid("PMC"), None);
    }

    #[test]
    fn nct_ids() {
        assert_eq!(
            find_nct_ids("Registered as nct01234567 and NCT01234567; also (NCT07654321)."),
            vec!["NCT01234567", "NCT07654321"]
        );
        assert!(find_nct_ids("NCT0123456 NCT012345678 XNCT01234567").is_empty());
        assert!(find_nct_ids("é NCT").is_empty());
    }

    /// The byte-by-byte scan `find_nct_ids` replaced, as the reference.
    fn nct_ids_reference(s: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i + 11 <= b.len() {
            if b[i] | 0x20 == b'n' && nct_at(b, i) {
                let id = format!("NCT{}", &s[i + 3..i + 11]);
                if !out.contains(&id) {
                    out.push(id);
                }
                i += 11;
            } else {
                i += 1;
            }
        }
        out
    }

    #[test]
    fn nct_ids_match_the_byte_scan_on_random_text() {
        let mut rng = fastrand::Rng::with_seed(11);
        let parts = [
            "NCT",
            "nct",
            "nCt",
            "n",
            "N",
            "0",
            "1",
            "7",
            "01234567",
            "0123456",
            " ",
            "(",
            ";",
            "x",
            "é",
            "NCT0123456789",
            "2",
        ];
        for _ in 0..20_000 {
            let s: String = (0..rng.usize(0..12))
                .map(|_| parts[rng.usize(..parts.len())])
                .collect();
            assert_eq!(find_nct_ids(&s), nct_ids_reference(&s), "{s:?}");
        }
    }
}
