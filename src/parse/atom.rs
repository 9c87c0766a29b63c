//! Atom 1.0 and Atom 0.3 documents (quick-xml event reader, namespace-aware) mapped to `RawEntry` values.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use url::Url;

use super::attr;
use super::{
    ATOM03_NS, ATOM10_NS, ParseError, apply_identifier, finish_entry, non_empty, rebase, set_texts,
    split_authors, web_link,
};
use chrono::{DateTime, Utc};

use crate::model::{FeedInfo, Format, ParsedFeed, RawEntry};
use crate::normalize::dates::parse_date;
use crate::normalize::text::{clean_inline, collapse_ws, html_to_text};

/// Which vocabulary an element belongs to. Unprefixed elements in an unknown or
/// missing namespace count as Atom, and undeclared prefixes are classified by
/// their conventional name, so sloppy feeds still parse.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ns {
    Atom,
    Arxiv,
    Dc,
    Prism,
    Other,
}

fn classify(res: &ResolveResult<'_>) -> Ns {
    match res {
        ResolveResult::Bound(ns) => {
            let uri = ns.as_ref();
            if uri == ATOM10_NS || uri == ATOM03_NS {
                Ns::Atom
            } else if uri.contains("arxiv.org/schemas/atom") {
                Ns::Arxiv
            } else if uri.contains("purl.org/dc/") {
                Ns::Dc
            } else if uri.contains("prismstandard.org") {
                Ns::Prism
            } else {
                Ns::Other
            }
        }
        ResolveResult::Unbound => Ns::Atom,
        ResolveResult::Unknown(prefix) => match prefix.as_str() {
            "arxiv" => Ns::Arxiv,
            "dc" | "dcterms" => Ns::Dc,
            "prism" => Ns::Prism,
            "atom" => Ns::Atom,
            _ => Ns::Other,
        },
    }
}

struct Parser<'a> {
    reader: NsReader<&'a [u8]>,
    text: &'a str,
    origin: &'a str,
}

/// Element content kind per the Atom `type` attribute.
#[derive(Clone, Copy)]
enum Content {
    Text,
    Html,
    Xhtml,
}

impl<'a> Parser<'a> {
    fn err(&self, e: quick_xml::Error) -> ParseError {
        ParseError::xml(self.origin, self.text, self.reader.error_position(), &e)
    }

    fn eof_err(&self, inside: &str) -> ParseError {
        ParseError::unclosed(self.origin, self.text, inside)
    }

    /// Next event with the namespace class of Start/Empty/End names.
    fn next(&mut self) -> Result<(Ns, Event<'a>), ParseError> {
        match self.reader.read_resolved_event() {
            Ok((res, ev)) => {
                let ns = classify(&res);
                Ok((ns, ev))
            }
            Err(e) => Err(self.err(e)),
        }
    }

    /// Collects the text content of the element just opened (`name`), through
    /// any nested markup (xhtml content), up to its end tag.
    fn text_of(&mut self, name: &str) -> Result<String, ParseError> {
        let mut out = String::new();
        let mut depth = 0usize;
        loop {
            match self.reader.read_event() {
                Ok(Event::Text(t)) => out.push_str(&t.xml10_content()),
                Ok(Event::CData(c)) => out.push_str(&c.xml10_content()),
                Ok(Event::GeneralRef(r)) => super::push_general_ref(&mut out, &r),
                Ok(Event::Start(_)) => {
                    depth += 1;
                    // Word boundary between xhtml block children.
                    out.push(' ');
                }
                Ok(Event::End(_)) => {
                    if depth == 0 {
                        return Ok(out);
                    }
                    depth -= 1;
                    out.push(' ');
                }
                Ok(Event::Empty(_)) => out.push(' '),
                Ok(Event::Eof) => return Err(self.eof_err(name)),
                Ok(_) => {}
                Err(e) => return Err(self.err(e)),
            }
        }
    }

    fn skip(&mut self, start: &BytesStart<'_>) -> Result<(), ParseError> {
        let name = start.name().as_ref().to_string();
        let end = quick_xml::name::QName(&name);
        self.reader
            .read_to_end(end)
            .map(|_| ())
            .map_err(|e| match e {
                quick_xml::Error::IllFormed(quick_xml::errors::IllFormedError::MissingEndTag(
                    _,
                )) => self.eof_err(&name),
                e => self.err(e),
            })
    }

    /// Text of a construct whose `type` (and Atom 0.3 `mode`) says how to read it.
    fn typed_text(&mut self, start: &BytesStart<'_>) -> Result<Option<String>, ParseError> {
        let ty = attr(start, "type").map(|t| t.to_ascii_lowercase());
        let mode = attr(start, "mode").map(|m| m.to_ascii_lowercase());
        let kind = match (ty.as_deref(), mode.as_deref()) {
            (Some("html" | "text/html" | "escaped"), _) => Content::Html,
            (Some("xhtml" | "application/xhtml+xml"), _) => Content::Xhtml,
            // Atom 0.3 `mode="escaped"` carries HTML as text, unless it says plain text.
            (Some("text/plain"), _) => Content::Text,
            (_, Some("escaped")) => Content::Html,
            _ => Content::Text,
        };
        let name = start.name().as_ref().to_string();
        let mut raw = self.text_of(&name)?;
        if mode.as_deref() == Some("base64") {
            raw = decode_base64(&raw).unwrap_or_default();
        }
        Ok(non_empty(match kind {
            Content::Html => html_to_text(&raw),
            Content::Xhtml | Content::Text => collapse_ws(&raw),
        }))
    }

    fn person(&mut self, start: &BytesStart<'_>) -> Result<Option<String>, ParseError> {
        let outer = start.name().as_ref().to_string();
        let mut name = None;
        loop {
            let (ns, ev) = self.next()?;
            match ev {
                Event::Start(s) => {
                    if ns == Ns::Atom && s.local_name().as_ref() == "name" {
                        name = non_empty(clean_inline(&self.text_of("name")?));
                    } else {
                        self.skip(&s)?;
                    }
                }
                Event::End(_) => return Ok(name),
                Event::Eof => return Err(self.eof_err(&outer)),
                _ => {}
            }
        }
    }
}

pub(crate) fn parse(
    text: &str,
    format: Format,
    origin: &str,
    doc_base: Option<Url>,
) -> Result<ParsedFeed, ParseError> {
    let mut p = Parser {
        reader: NsReader::from_str(text),
        text,
        origin,
    };
    let mut feed = FeedInfo {
        title: None,
        link: None,
        format,
        ttl_minutes: None,
    };
    // Find the root <feed>.
    let base = loop {
        let (_, ev) = p.next()?;
        match ev {
            Event::Start(s) => break rebase(doc_base.as_ref(), attr(&s, "xml:base").as_deref()),
            Event::Empty(_) => {
                return Ok(ParsedFeed {
                    feed,
                    entries: Vec::new(),
                });
            }
            Event::Eof => return Err(ParseError::invalid(origin, "no <feed> element")),
            _ => {}
        }
    };
    let mut entries = Vec::new();
    let mut links = Links::default();
    let mut dc_title = None;
    loop {
        let (ns, ev) = p.next()?;
        match (ns, ev) {
            (Ns::Atom, Event::Start(s)) => match s.local_name().as_ref() {
                "entry" => {
                    let entry_base = rebase(base.as_ref(), attr(&s, "xml:base").as_deref());
                    entries.push(parse_entry(&mut p, entry_base.as_ref())?);
                }
                "title" => feed.title = p.typed_text(&s)?,
                "link" => {
                    links.take(&s, base.as_ref());
                    p.skip(&s)?;
                }
                _ => p.skip(&s)?,
            },
            (Ns::Atom, Event::Empty(s)) => match s.local_name().as_ref() {
                "link" => links.take(&s, base.as_ref()),
                // `<entry/>` is an entry with nothing in it, as `<item/>` is in RSS.
                "entry" => entries.push(EntryParts::default().finish()),
                _ => {}
            },
            (Ns::Dc, Event::Start(s)) if s.local_name().as_ref() == "title" => {
                dc_title = non_empty(clean_inline(&p.text_of("title")?));
            }
            (_, Event::Start(s)) => p.skip(&s)?,
            (_, Event::End(_)) => break,
            (_, Event::Eof) => return Err(p.eof_err("feed")),
            _ => {}
        }
    }
    feed.title = feed.title.or(dc_title);
    feed.link = links.best();
    Ok(ParsedFeed { feed, entries })
}

/// Candidate links of a feed or entry: the first `rel="alternate"` wins, then the
/// first link without `rel`. Links without a usable http(s) `href` never count.
#[derive(Default)]
struct Links {
    alternate: Option<String>,
    plain: Option<String>,
}

/// A `<link>`'s attributes, read in one pass over them.
#[derive(Default)]
struct LinkAttrs {
    href: Option<String>,
    rel: Option<String>,
    title: Option<String>,
    xml_base: Option<String>,
}

impl LinkAttrs {
    fn of(s: &BytesStart<'_>) -> LinkAttrs {
        let mut l = LinkAttrs::default();
        for a in s.attributes().with_checks(false).flatten() {
            let slot = match a.key.as_ref() {
                "href" => &mut l.href,
                "rel" => &mut l.rel,
                "title" => &mut l.title,
                "xml:base" => &mut l.xml_base,
                _ => continue,
            };
            if let Ok(v) = a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                *slot = Some(v.trim().to_string());
            }
        }
        l
    }

    /// The `href` as an absolute http(s) address, if it has one.
    fn href(&self, base: Option<&Url>) -> Option<String> {
        let href = self.href.as_deref()?;
        match self.xml_base.as_deref() {
            Some(b) => web_link(rebase(base, Some(b)).as_ref(), href),
            None => web_link(base, href),
        }
    }
}

impl Links {
    /// Files a `<link>`, its `href` resolved against `base` and its own `xml:base`.
    fn take(&mut self, s: &BytesStart<'_>, base: Option<&Url>) {
        self.take_attrs(&LinkAttrs::of(s), base);
    }

    fn take_attrs(&mut self, a: &LinkAttrs, base: Option<&Url>) {
        let slot = match a.rel.as_deref().filter(|r| !r.is_empty()) {
            None => &mut self.plain,
            Some(r) if r.eq_ignore_ascii_case("alternate") => &mut self.alternate,
            Some(_) => return,
        };
        if slot.is_none() {
            *slot = a.href(base);
        }
    }

    fn best(self) -> Option<String> {
        self.alternate.or(self.plain)
    }
}

/// What an entry's elements give before they are combined into a `RawEntry`.
#[derive(Default)]
struct EntryParts {
    e: RawEntry,
    summary: Option<String>,
    content: Option<String>,
    links: Links,
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    /// Atom 0.3 `issued`/`created` and the Dublin Core dates, fallbacks for `published`.
    issued: Option<DateTime<Utc>>,
    created: Option<DateTime<Utc>>,
    dc_updated: Option<DateTime<Utc>>,
    dc_title: Option<String>,
    dc_description: Option<String>,
    contributors: Vec<String>,
}

fn parse_entry(p: &mut Parser<'_>, base: Option<&Url>) -> Result<RawEntry, ParseError> {
    let mut parts = EntryParts::default();
    loop {
        let (ns, ev) = p.next()?;
        match ev {
            Event::Start(s) => match ns {
                Ns::Atom => atom_element(p, &mut parts, &s, base)?,
                _ => module_element(p, &mut parts, ns, &s)?,
            },
            Event::Empty(s) => match (ns, s.local_name().as_ref()) {
                (Ns::Atom, "link") => take_entry_link(&mut parts, &s, base),
                (Ns::Atom, "category") => push_category(&mut parts.e, &s),
                _ => {}
            },
            Event::End(_) => break,
            Event::Eof => return Err(p.eof_err("entry")),
            _ => {}
        }
    }
    Ok(parts.finish())
}

/// An Atom-namespace element inside an entry.
fn atom_element(
    p: &mut Parser<'_>,
    parts: &mut EntryParts,
    s: &BytesStart<'_>,
    base: Option<&Url>,
) -> Result<(), ParseError> {
    let e = &mut parts.e;
    match s.local_name().as_ref() {
        "id" => e.guid = non_empty(p.text_of("id")?.trim().to_string()),
        "title" => e.title = p.typed_text(s)?,
        "summary" => parts.summary = p.typed_text(s)?,
        "content" => parts.content = p.typed_text(s)?,
        "published" => parts.published = parse_date(&p.text_of("published")?),
        "updated" | "modified" => parts.updated = parse_date(&p.text_of("updated")?),
        "issued" => parts.issued = parse_date(&p.text_of("issued")?),
        "created" => parts.created = parse_date(&p.text_of("created")?),
        "author" => {
            if let Some(n) = p.person(s)? {
                split_authors(&n, &mut e.authors);
            }
        }
        "contributor" => {
            if let Some(n) = p.person(s)? {
                split_authors(&n, &mut parts.contributors);
            }
        }
        "link" => {
            take_entry_link(parts, s, base);
            p.skip(s)?;
        }
        "category" => {
            push_category(e, s);
            p.skip(s)?;
        }
        _ => p.skip(s)?,
    }
    Ok(())
}

/// A module element (Dublin Core, PRISM, arXiv) inside an entry.
fn module_element(
    p: &mut Parser<'_>,
    parts: &mut EntryParts,
    ns: Ns,
    s: &BytesStart<'_>,
) -> Result<(), ParseError> {
    let e = &mut parts.e;
    match (ns, s.local_name().as_ref()) {
        (Ns::Arxiv, "doi") | (Ns::Prism, "doi") | (Ns::Dc, "identifier") => {
            let v = p.text_of("identifier")?;
            apply_identifier(e, &v);
        }
        (Ns::Arxiv, "journal_ref") | (Ns::Prism, "publicationName") | (Ns::Dc, "source") => {
            let v = clean_inline(&p.text_of("journal")?);
            if e.journal.is_none() {
                e.journal = non_empty(v);
            }
        }
        (Ns::Dc, "creator") => split_authors(&p.text_of("creator")?, &mut e.authors),
        (Ns::Dc, "contributor") => {
            split_authors(&p.text_of("contributor")?, &mut parts.contributors);
        }
        (Ns::Dc, "date") | (Ns::Prism, "publicationDate" | "coverDate") => {
            let d = parse_date(&p.text_of("date")?);
            parts.published = parts.published.or(d);
        }
        (Ns::Dc, "issued") => parts.issued = parts.issued.or(parse_date(&p.text_of("issued")?)),
        (Ns::Dc, "created") => {
            parts.created = parts.created.or(parse_date(&p.text_of("created")?));
        }
        (Ns::Dc, "modified") => parts.dc_updated = parse_date(&p.text_of("modified")?),
        (Ns::Dc, "title") => parts.dc_title = non_empty(clean_inline(&p.text_of("title")?)),
        (Ns::Dc, "description") => {
            parts.dc_description = non_empty(html_to_text(&p.text_of("description")?));
        }
        (Ns::Dc, "subject") => {
            let v = clean_inline(&p.text_of("subject")?);
            if !v.is_empty() {
                e.categories.push(v);
            }
        }
        _ => p.skip(s)?,
    }
    Ok(())
}

impl EntryParts {
    fn finish(self) -> RawEntry {
        let mut e = self.e;
        e.link = self.links.best();
        e.title = e.title.or(self.dc_title);
        set_texts(&mut e, self.summary.or(self.dc_description), self.content);
        if e.authors.is_empty() {
            e.authors = self.contributors;
        }
        // Atom 0.3: issued is the publication date, created the fallback.
        e.published = self.published.or(self.issued).or(self.created);
        e.updated = self.updated.or(self.dc_updated);
        finish_entry(&mut e);
        e
    }
}

/// Entry-level link handling: DOI-ish related links → doi, the others are candidates.
fn take_entry_link(parts: &mut EntryParts, s: &BytesStart<'_>, base: Option<&Url>) {
    let a = LinkAttrs::of(s);
    let href = a.href.as_deref().unwrap_or_default();
    if a.title.as_deref() == Some("doi")
        || (a.rel.as_deref() == Some("related") && href.contains("doi.org/"))
    {
        apply_identifier(&mut parts.e, href);
        return;
    }
    parts.links.take_attrs(&a, base);
}

fn push_category(e: &mut RawEntry, s: &BytesStart<'_>) {
    if let Some(t) = attr(s, "term")
        .or_else(|| attr(s, "label"))
        .filter(|t| !t.is_empty())
    {
        e.categories.push(t);
    }
}

/// Atom 0.3 `mode="base64"` content; whitespace (line breaks) and missing padding
/// are tolerated, and text that is not valid base64 or UTF-8 reads as empty.
fn decode_base64(raw: &str) -> Option<String> {
    use base64::Engine as _;
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT
        .decode(compact.trim_end_matches('='))
        .ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_variants() {
        assert_eq!(decode_base64("S2V0\nYW1pbmU=").as_deref(), Some("Ketamine"));
        assert_eq!(decode_base64("S2V0YW1pbmU").as_deref(), Some("Ketamine"));
        assert_eq!(decode_base64("not base64!"), None);
    }
}
