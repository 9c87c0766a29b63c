//! Feed parsing: sniff the format, then run exactly one parser into `RawEntry` values.
//!
//! Dispatch is sniff-first: the decoded document's first byte and XML root
//! element (or, for JSON, its top-level keys: `resultList` Europe PMC,
//! `studies`/`protocolSection` ClinicalTrials.gov, `messages`+`collection`
//! bioRxiv, otherwise JSON Feed) decide the format, and exactly one parser runs. No parser is ever
//! tried "just in case" after another failed, because that would turn a real
//! syntax error into a confusing message from the wrong parser.

pub mod atom;
pub mod biorxiv;
pub mod ctgov;
pub mod encoding;
pub mod europepmc;
pub mod json;
pub mod jsonfeed;
pub mod pubmed;
pub mod rss;
mod rss_shape;
mod sniff;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::model::{Format, Kind, ParsedFeed, RawEntry};
use crate::normalize::ids::{
    find_doi_in, find_nct_ids, normalize_doi, normalize_pmcid, pmid_from_reference,
};
pub(crate) use sniff::{
    ATOM03_NS, ATOM10_NS, CONTENT_NS, RDF_NS, RSS1_NS, Root, USERLAND_NS, XHTML_NS, is_rss090_ns,
};
use sniff::{sniff_json, sniff_xml};

/// Why a document could not be parsed. Every variant names the document
/// (`origin`) and its `Display` is a single line.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Malformed XML or JSON at a known line (1-based).
    #[error("{origin}: line {line}: {message}")]
    Syntax {
        origin: String,
        line: usize,
        message: String,
    },
    /// Well-formed, but not a feed we know (HTML page, PubMed XML, empty file…).
    #[error("{origin}: not a feed: {what}")]
    NotAFeed { origin: String, what: String },
    /// The config declared one kind and the document is another.
    #[error("{origin}: declared kind {declared} but the document is {found}")]
    KindMismatch {
        origin: String,
        declared: Kind,
        found: &'static str,
    },
    /// A feed-level problem without a meaningful line (e.g. RSS without a channel).
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

impl ParseError {
    pub(crate) fn syntax(origin: &str, line: usize, message: impl std::fmt::Display) -> Self {
        ParseError::Syntax {
            origin: origin.to_string(),
            line,
            message: one_line(&message.to_string()),
        }
    }

    /// A quick-xml error at the reader's error position in `text`.
    pub(crate) fn xml(origin: &str, text: &str, position: u64, e: &quick_xml::Error) -> Self {
        Self::syntax(origin, line_of(text, position as usize), xml_message(e))
    }

    /// The document ended inside `<inside>`.
    pub(crate) fn unclosed(origin: &str, text: &str, inside: &str) -> Self {
        Self::syntax(
            origin,
            line_of(text, text.len()),
            format!("unexpected end of document: <{inside}> is not closed"),
        )
    }

    pub(crate) fn invalid(origin: &str, message: impl std::fmt::Display) -> Self {
        ParseError::Invalid {
            origin: origin.to_string(),
            message: one_line(&message.to_string()),
        }
    }

    /// The 1-based line of the problem, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ParseError::Syntax { line, .. } => Some(*line),
            _ => None,
        }
    }
}

fn one_line(s: &str) -> String {
    if s.contains(['\n', '\r']) {
        s.split(['\n', '\r'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        s.to_string()
    }
}

/// 1-based line number of a byte offset (clamped to the text).
pub fn line_of(text: &str, byte_offset: usize) -> usize {
    let end = byte_offset.min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Human name of a format, as used in error messages.
pub fn format_name(f: Format) -> &'static str {
    match f {
        Format::Rss090 => "RSS 0.90",
        Format::Rss091 => "RSS 0.91",
        Format::Rss092 => "RSS 0.92",
        Format::Rss1 => "RSS 1.0 (RDF)",
        Format::Rss2 => "RSS 2.0",
        Format::Atom03 => "Atom 0.3",
        Format::Atom10 => "Atom 1.0",
        Format::JsonFeed => "JSON Feed",
        Format::Pubmed => "PubMed XML",
        Format::EuropePmc => "Europe PMC JSON",
        Format::Biorxiv => "bioRxiv API JSON",
        Format::Ctgov => "ClinicalTrials.gov JSON",
        Format::Arxiv => "arXiv API Atom",
    }
}

/// Whether a declared `kind` admits the sniffed format. `rss` admits every RSS
/// flavour including the RDF-based 0.90/1.0 (config authors say "rss" for
/// those too); `rdf` admits only the RDF-based ones.
fn kind_accepts(kind: Kind, format: Format) -> bool {
    use Format::*;
    match kind {
        Kind::Auto => true,
        Kind::Rss => matches!(format, Rss090 | Rss091 | Rss092 | Rss1 | Rss2),
        Kind::Rdf => matches!(format, Rss090 | Rss1),
        Kind::Atom => matches!(format, Atom03 | Atom10),
        Kind::JsonFeed => format == JsonFeed,
        Kind::Pubmed => format == Pubmed,
        Kind::EuropePmc => format == EuropePmc,
        Kind::Biorxiv => format == Biorxiv,
        Kind::Ctgov => format == Ctgov,
        // The arXiv API speaks Atom 1.0; the parse reports it as `arxiv`.
        Kind::Arxiv => matches!(format, Atom10 | Arxiv),
    }
}

/// Parses one feed document.
///
/// `content_type` is the HTTP Content-Type (for its charset), `kind` the
/// configured kind (`Auto` sniffs), `origin` names the document in errors.
pub fn parse_document(
    bytes: &[u8],
    content_type: Option<&str>,
    kind: Kind,
    origin: &str,
) -> Result<ParsedFeed, ParseError> {
    let mut feed = parse_decoded(bytes, content_type, kind, origin)?;
    keep_web_links(&mut feed);
    Ok(feed)
}

/// The base for relative links: the document's own address, when `origin` is one.
fn document_base(origin: &str) -> Option<url::Url> {
    url::Url::parse(origin)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

fn parse_decoded(
    bytes: &[u8],
    content_type: Option<&str>,
    kind: Kind,
    origin: &str,
) -> Result<ParsedFeed, ParseError> {
    let text = encoding::decode_document(bytes, content_type);
    let first = text.trim_start().as_bytes().first().copied();
    match first {
        Some(b'{' | b'[') => {
            let sniffed = sniff_json(&text);
            let format = match (kind, sniffed) {
                (Kind::Auto, found) => found.unwrap_or(Format::JsonFeed),
                (Kind::JsonFeed, _) => Format::JsonFeed,
                (Kind::EuropePmc, _) => Format::EuropePmc,
                (Kind::Ctgov, _) => Format::Ctgov,
                (Kind::Biorxiv, _) => Format::Biorxiv,
                (_, found) => {
                    return Err(ParseError::KindMismatch {
                        origin: origin.to_string(),
                        declared: kind,
                        found: found.map_or("JSON", format_name),
                    });
                }
            };
            // A declared API kind still has to match what the document is,
            // when the document is recognisably something else.
            if let Some(found) = sniffed.filter(|f| *f != format)
                && kind != Kind::Auto
            {
                return Err(ParseError::KindMismatch {
                    origin: origin.to_string(),
                    declared: kind,
                    found: format_name(found),
                });
            }
            match format {
                Format::EuropePmc => europepmc::parse(&text, origin),
                Format::Ctgov => ctgov::parse(&text, origin),
                Format::Biorxiv => biorxiv::parse(&text, origin),
                _ => {
                    let feed = jsonfeed::parse(&text, origin)?;
                    check_kind(kind, feed.feed.format, origin)?;
                    Ok(feed)
                }
            }
        }
        Some(b'<') => {
            let (format, root) = sniff_xml(&text, origin)?;
            check_kind(kind, format, origin)?;
            let text = encoding::fix_entities(&text);
            match format {
                Format::Rss090 | Format::Rss091 | Format::Rss092 | Format::Rss1 | Format::Rss2 => {
                    rss::parse(&text, &root, format, origin, document_base(origin))
                }
                Format::Atom03 | Format::Atom10 => {
                    let mut feed = atom::parse(&text, format, origin, document_base(origin))?;
                    if kind == Kind::Arxiv {
                        feed.feed.format = Format::Arxiv;
                    }
                    Ok(feed)
                }
                Format::Pubmed => pubmed::parse(&text, origin),
                other => Err(ParseError::invalid(
                    origin,
                    format!("no parser for {}", format_name(other)),
                )),
            }
        }
        None => Err(ParseError::NotAFeed {
            origin: origin.to_string(),
            what: "empty document".into(),
        }),
        Some(_) => Err(ParseError::NotAFeed {
            origin: origin.to_string(),
            what: "neither XML nor JSON".into(),
        }),
    }
}

fn check_kind(kind: Kind, format: Format, origin: &str) -> Result<(), ParseError> {
    if kind_accepts(kind, format) {
        Ok(())
    } else {
        Err(ParseError::KindMismatch {
            origin: origin.to_string(),
            declared: kind,
            found: format_name(format),
        })
    }
}

/// Finds the first well-formedness error in an XML text, as (line, message).
/// Used for error *reporting* when a parser without positions (the rss crate)
/// failed, and to detect truncated documents; it never produces a feed.
pub(crate) fn locate_xml_error(text: &str) -> Option<(usize, String)> {
    let mut reader = Reader::from_str(text);
    let mut open: Vec<String> = Vec::new();
    loop {
        match reader.read_event() {
            Err(e) => {
                return Some((
                    line_of(text, reader.error_position() as usize),
                    xml_message(&e),
                ));
            }
            Ok(Event::Start(s)) => open.push(s.name().as_ref().to_string()),
            Ok(Event::End(_)) => {
                open.pop();
            }
            // quick-xml does not validate character references itself; the rss
            // crate does, so a bad one must be located here too.
            Ok(Event::GeneralRef(r)) if r.is_char_ref() => {
                if let Err(e) = r.resolve_char_ref() {
                    return Some((
                        line_of(text, reader.buffer_position() as usize),
                        xml_message(&e),
                    ));
                }
            }
            Ok(Event::Eof) => {
                return open.last().map(|name| {
                    (
                        line_of(text, text.len()),
                        format!("unexpected end of document: <{name}> is not closed"),
                    )
                });
            }
            Ok(_) => {}
        }
    }
}

/// Value of an attribute by qualified name, entity-decoded and trimmed.
pub(crate) fn attr(start: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    let a = start.try_get_attribute(name).ok()??;
    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
        .ok()
        .map(|v| v.trim().to_string())
}

/// Appends the text an entity or character reference stands for: character references
/// and the five XML entities are expanded; a DTD-declared entity we cannot expand is
/// kept as written.
pub(crate) fn push_general_ref(out: &mut String, r: &quick_xml::events::BytesRef) {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        out.push(c);
        return;
    }
    match &**r {
        "lt" => out.push('<'),
        "gt" => out.push('>'),
        "amp" => out.push('&'),
        "quot" => out.push('"'),
        "apos" => out.push('\''),
        other => {
            out.push('&');
            out.push_str(other);
            out.push(';');
        }
    }
}

/// A short one-line message for a quick-xml error.
pub(crate) fn xml_message(e: &quick_xml::Error) -> String {
    use quick_xml::errors::IllFormedError;
    match e {
        quick_xml::Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            format!("mismatched closing tag </{found}> (expected </{expected}>)")
        }
        quick_xml::Error::IllFormed(IllFormedError::UnmatchedEndTag(found)) => {
            format!("closing tag </{found}> matches no open tag")
        }
        other => one_line(&other.to_string()),
    }
}

/// Whether the text ends with the root's closing tag (allowing trailing
/// whitespace and comments). Cheap check for truncated downloads, which the
/// rss crate otherwise accepts as a shorter feed.
pub(crate) fn ends_with_root_close(text: &str, qname: &str) -> bool {
    let t = text.trim_end();
    if t.ends_with("-->") {
        return true;
    }
    match t.rfind("</") {
        Some(p) => t[p + 2..].trim_end_matches('>').trim_end() == qname && t.ends_with('>'),
        None => false,
    }
}

/// `href` as an absolute http(s) link: resolved against `base` when relative, and
/// `None` for any other scheme (`javascript:`, `data:`, `mailto:`…) or when it
/// cannot be resolved. An absolute http(s) link is kept as written.
pub(crate) fn web_link(base: Option<&url::Url>, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    if is_absolute_web(href) {
        return Some(href.to_string());
    }
    let resolved = match base {
        Some(b) => b.join(href).ok()?,
        None => url::Url::parse(href).ok()?,
    };
    matches!(resolved.scheme(), "http" | "https").then(|| resolved.to_string())
}

/// Whether `href` is an absolute http(s) link that can be kept as written.
fn is_absolute_web(href: &str) -> bool {
    let b = href.as_bytes();
    ["http://", "https://"].iter().any(|s| {
        b.len() > s.len()
            && b[..s.len()].eq_ignore_ascii_case(s.as_bytes())
            && no_whitespace(&href[s.len()..])
    })
}

/// Whether `s` has no whitespace: a byte scan for the usual all-ASCII link (this runs
/// for every link of every document), the Unicode check only when it has other bytes.
fn no_whitespace(s: &str) -> bool {
    if s.is_ascii() {
        !s.bytes().any(|c| c.is_ascii_whitespace() || c == 0x0b)
    } else {
        !s.contains(char::is_whitespace)
    }
}

/// `base` with an `xml:base` (itself possibly relative) applied.
pub(crate) fn rebase(base: Option<&url::Url>, xml_base: Option<&str>) -> Option<url::Url> {
    match xml_base.map(str::trim).filter(|b| !b.is_empty()) {
        Some(b) => match base {
            Some(base) => base.join(b).ok().or_else(|| Some(base.clone())),
            None => url::Url::parse(b).ok(),
        },
        None => base.cloned(),
    }
}

/// Every format's links end up absolute http(s) or null: a reader may open them.
fn keep_web_links(feed: &mut ParsedFeed) {
    let keep = |link: &mut Option<String>| {
        if let Some(l) = link.as_deref()
            && !is_absolute_web(l)
            && web_link(None, l).is_none()
        {
            *link = None;
        }
    };
    keep(&mut feed.feed.link);
    for e in &mut feed.entries {
        keep(&mut e.link);
    }
}

/// Splits author strings into names. Rules (pragmatic, documented for users):
/// split on `;`; split on ` and ` / ` & `; split on `,` only when a piece has
/// three or more comma-separated parts ("Smith J, Doe A, Lee K"), so a single
/// inverted name like "Smith, J." or "Smith, John" is kept whole. An ambiguous
/// two-part "Smith J, Doe A" stays one string. Lists of inverted names
/// ("Lapalu, N., Simon, A.": every second part is initials) are re-paired.
/// A leading "and " is dropped.
pub(crate) fn split_authors(raw: &str, out: &mut Vec<String>) {
    for part in raw.split(';') {
        for piece in split_on_and(part) {
            let commas: Vec<&str> = piece.split(',').collect();
            if commas.len() >= 2
                && commas.len().is_multiple_of(2)
                && commas.iter().skip(1).step_by(2).all(|c| is_initials(c))
            {
                // "LAPALU, N., SIMON, A., Lu, A." — inverted names, paired back up.
                for pair in commas.chunks(2) {
                    push_author(&format!("{}, {}", pair[0].trim(), pair[1].trim()), out);
                }
            } else if commas.len() >= 3 {
                for c in commas {
                    push_author(c, out);
                }
            } else {
                push_author(piece, out);
            }
        }
    }
}

/// "N.", "P.-L.", "R. J.", "JA": initials, not a person's name.
fn is_initials(s: &str) -> bool {
    let s = s.trim();
    let letters = s.chars().filter(|c| c.is_alphabetic()).count();
    letters > 0
        && s.chars()
            .all(|c| c.is_uppercase() || matches!(c, '.' | '-' | ' '))
        && (s.contains('.') || letters <= 3)
}

fn split_on_and(s: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = s;
    loop {
        let hit = [" and ", " & ", " AND "]
            .iter()
            .filter_map(|sep| rest.find(sep).map(|p| (p, sep.len())))
            .min();
        match hit {
            Some((p, len)) => {
                pieces.push(&rest[..p]);
                rest = &rest[p + len..];
            }
            None => {
                pieces.push(rest);
                return pieces;
            }
        }
    }
}

fn push_author(name: &str, out: &mut Vec<String>) {
    let name = name.trim().trim_end_matches(',').trim();
    let name = name.strip_prefix("and ").unwrap_or(name).trim();
    if name.is_empty() {
        return;
    }
    let name = crate::normalize::text::clean_inline(name);
    // Repeats are dropped once, in linear time, by normalize::entry::finish: a scan
    // per push was quadratic in a long author list.
    if !name.is_empty() {
        out.push(name);
    }
}

/// Files an identifier string (`doi:…`, `info:pmid/…`, `PMC…`, a DOI URL) into the entry.
pub(crate) fn apply_identifier(entry: &mut RawEntry, value: &str) {
    let v = value.trim();
    if v.is_empty() {
        return;
    }
    if entry.pmid.is_none()
        && let Some(p) = pmid_from_reference(v)
    {
        entry.pmid = Some(p);
        return;
    }
    if entry.pmcid.is_none()
        && let Some(p) = normalize_pmcid(v)
    {
        entry.pmcid = Some(p);
        return;
    }
    if entry.doi.is_none() {
        entry.doi = normalize_doi(v).or_else(|| find_doi_in(v));
    }
}

/// Derivations shared by all parsers once the explicit fields are filled:
/// identifiers from GUID/link, NCT ids from title and summary, dedup.
pub(crate) fn finish_entry(entry: &mut RawEntry) {
    for v in [entry.guid.as_deref(), entry.link.as_deref()]
        .into_iter()
        .flatten()
    {
        if entry.doi.is_none() {
            entry.doi = find_doi_in(v);
        }
        if entry.pmid.is_none() {
            entry.pmid = pmid_from_reference(v);
        }
        if entry.pmcid.is_none() && v.contains("PMC") {
            entry.pmcid = normalize_pmcid(v);
        }
    }
    if entry.nct_id.is_none() {
        // The first id in reading order; the content is read only when the others have none.
        let texts = [
            entry.title.as_deref(),
            entry.summary.as_deref(),
            entry.content.as_deref(),
        ];
        entry.nct_id = texts
            .into_iter()
            .flatten()
            .find_map(|t| find_nct_ids(t).into_iter().next());
    }
    dedup_in_order(&mut entry.categories);
    dedup_in_order(&mut entry.authors);
}

fn dedup_in_order(v: &mut Vec<String>) {
    if v.len() > 1 {
        let mut seen: Vec<String> = Vec::with_capacity(v.len());
        v.retain(|x| {
            if seen.contains(x) {
                false
            } else {
                seen.push(x.clone());
                true
            }
        });
    }
}

/// `Some(s)` unless blank.
pub(crate) fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

/// Sets an entry's summary and content from what the document gives: the summary is
/// the summary, the content stands in for it when there is none, and `content` is
/// kept only when it says something besides the summary.
pub(crate) fn set_texts(entry: &mut RawEntry, summary: Option<String>, content: Option<String>) {
    match (summary, content) {
        (Some(s), Some(c)) => {
            entry.content = (c != s).then_some(c);
            entry.summary = Some(s);
        }
        (s, c) => entry.summary = s.or(c),
    }
}

/// The fuller (longer) of two optional texts.
pub(crate) fn fuller(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.len() > a.len() { b } else { a }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authors_split() {
        let mut v = Vec::new();
        split_authors("Smith, J.", &mut v);
        split_authors("Doe A; Lee K", &mut v);
        split_authors("Brown P, Green Q, and White R", &mut v);
        split_authors("Black S and Grey T", &mut v);
        split_authors("Smith, J.", &mut v);
        split_authors(" LAPALU, N., Plaumann, P.-L., O'Connell, R. J. ", &mut v);
        // The repeated "Smith, J." goes in the entry's last clean-up, in linear time.
        crate::normalize::entry::dedup_in_order(&mut v);
        assert_eq!(
            v,
            [
                "Smith, J.",
                "Doe A",
                "Lee K",
                "Brown P",
                "Green Q",
                "White R",
                "Black S",
                "Grey T",
                "LAPALU, N.",
                "Plaumann, P.-L.",
                "O'Connell, R. J."
            ]
        );
    }

    #[test]
    fn lines() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 999), 3);
    }

    #[test]
    fn web_links() {
        let base = url::Url::parse("https://e.org/a/b/").ok();
        let base = base.as_ref();
        assert_eq!(
            web_link(base, " https://x.org/p "),
            Some("https://x.org/p".into())
        );
        assert_eq!(
            web_link(None, "HTTP://X.org/"),
            Some("HTTP://X.org/".into())
        );
        assert_eq!(
            web_link(base, "../c?d=1"),
            Some("https://e.org/a/c?d=1".into())
        );
        assert_eq!(
            web_link(base, "//cdn.org/x"),
            Some("https://cdn.org/x".into())
        );
        assert_eq!(web_link(None, "relative/x"), None);
        for bad in [
            "javascript:alert(1)",
            " java\tscript:x",
            "data:,x",
            "vbscript:x",
            "mailto:a@b",
        ] {
            assert_eq!(web_link(base, bad), None, "{bad}");
        }
        assert_eq!(web_link(base, ""), None);
    }

    #[test]
    fn xml_base_chains() {
        let doc = url::Url::parse("https://e.org/feed.xml").ok();
        let b = rebase(doc.as_ref(), Some("posts/"));
        assert_eq!(
            b.as_ref().map(url::Url::as_str),
            Some("https://e.org/posts/")
        );
        let b = rebase(b.as_ref(), Some("2024/"));
        assert_eq!(
            b.as_ref().map(url::Url::as_str),
            Some("https://e.org/posts/2024/")
        );
        assert_eq!(rebase(None, Some("relative/")), None);
        assert_eq!(rebase(doc.as_ref(), None), doc);
    }

    #[test]
    fn summary_content_and_the_stored_abstract() {
        let texts = |s: Option<&str>, c: Option<&str>| {
            let mut e = RawEntry::default();
            set_texts(&mut e, s.map(String::from), c.map(String::from));
            e
        };
        let both = texts(Some("Short."), Some("Short. And long."));
        assert_eq!(both.summary.as_deref(), Some("Short."));
        assert_eq!(both.content.as_deref(), Some("Short. And long."));
        // What the pipeline stores: the fuller text.
        let stored = both.fold_content();
        assert_eq!(stored.summary.as_deref(), Some("Short. And long."));
        assert_eq!(stored.content, None);
        let only = texts(None, Some("Body."));
        assert_eq!(
            (only.summary.as_deref(), only.content),
            (Some("Body."), None)
        );
        let same = texts(Some("Same."), Some("Same."));
        assert_eq!(same.content, None);
        let longer_summary = texts(Some("A longer summary."), Some("Brief.")).fold_content();
        assert_eq!(longer_summary.summary.as_deref(), Some("A longer summary."));
    }

    #[test]
    fn root_close() {
        assert!(ends_with_root_close("<rss></rss>\n", "rss"));
        assert!(ends_with_root_close("<rdf:RDF></rdf:RDF >", "rdf:RDF"));
        assert!(!ends_with_root_close("<rss><channel></channel>", "rss"));
    }
}
