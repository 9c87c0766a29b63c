//! Atom 1.0 and Atom 0.3 documents (quick-xml event reader, namespace-aware) mapped to `RawEntry` values.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::attr;
use super::{
    ATOM03_NS, ATOM10_NS, ParseError, apply_identifier, finish_entry, fuller, non_empty,
    split_authors,
};
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

    /// Text of a construct whose `type` says how to read it.
    fn typed_text(&mut self, start: &BytesStart<'_>) -> Result<Option<String>, ParseError> {
        let kind = match attr(start, "type")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("html" | "text/html" | "escaped") => Content::Html,
            Some("xhtml" | "application/xhtml+xml") => Content::Xhtml,
            _ => Content::Text,
        };
        // Atom 0.3 `mode="escaped"` carries HTML as text.
        let kind = match attr(start, "mode").as_deref() {
            Some("escaped") => Content::Html,
            _ => kind,
        };
        let name = start.name().as_ref().to_string();
        let raw = self.text_of(&name)?;
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

pub(crate) fn parse(text: &str, format: Format, origin: &str) -> Result<ParsedFeed, ParseError> {
    let mut p = Parser {
        reader: NsReader::from_str(text),
        text,
        origin,
    };
    // Find the root <feed>.
    loop {
        let (_, ev) = p.next()?;
        match ev {
            Event::Start(_) => break,
            Event::Empty(_) => {
                return Ok(ParsedFeed {
                    feed: FeedInfo {
                        title: None,
                        link: None,
                        format,
                        ttl_minutes: None,
                    },
                    entries: Vec::new(),
                });
            }
            Event::Eof => return Err(ParseError::invalid(origin, "no <feed> element")),
            _ => {}
        }
    }
    let mut feed = FeedInfo {
        title: None,
        link: None,
        format,
        ttl_minutes: None,
    };
    let mut entries = Vec::new();
    loop {
        let (ns, ev) = p.next()?;
        match ev {
            Event::Start(s) if ns == Ns::Atom => match s.local_name().as_ref() {
                "entry" => entries.push(parse_entry(&mut p)?),
                "title" => feed.title = p.typed_text(&s)?,
                "link" => {
                    take_feed_link(&mut feed, &s);
                    p.skip(&s)?;
                }
                _ => p.skip(&s)?,
            },
            Event::Empty(s) if ns == Ns::Atom && s.local_name().as_ref() == "link" => {
                take_feed_link(&mut feed, &s);
            }
            Event::Start(s) => p.skip(&s)?,
            Event::End(_) => break,
            Event::Eof => return Err(p.eof_err("feed")),
            _ => {}
        }
    }
    Ok(ParsedFeed { feed, entries })
}

fn take_feed_link(feed: &mut FeedInfo, s: &BytesStart<'_>) {
    let rel = attr(s, "rel");
    if feed.link.is_none() && matches!(rel.as_deref(), None | Some("alternate")) {
        feed.link = attr(s, "href").filter(|h| !h.is_empty());
    }
}

/// Entry-level link handling: alternate → link, DOI-ish related links → doi.
fn take_entry_link(e: &mut RawEntry, s: &BytesStart<'_>, first_plain: &mut Option<String>) {
    let Some(href) = attr(s, "href").filter(|h| !h.is_empty()) else {
        return;
    };
    let rel = attr(s, "rel");
    let title = attr(s, "title");
    if title.as_deref() == Some("doi")
        || (rel.as_deref() == Some("related") && href.contains("doi.org/"))
    {
        apply_identifier(e, &href);
        return;
    }
    match rel.as_deref() {
        Some("alternate") if e.link.is_none() => e.link = Some(href),
        None if first_plain.is_none() => *first_plain = Some(href),
        _ => {}
    }
}

fn parse_entry(p: &mut Parser<'_>) -> Result<RawEntry, ParseError> {
    let mut e = RawEntry::default();
    let mut summary = None;
    let mut content = None;
    let mut first_plain_link = None;
    let mut published = None;
    let mut updated = None;
    let mut issued = None;
    let mut created = None;
    loop {
        let (ns, ev) = p.next()?;
        match ev {
            Event::Start(s) => match (ns, s.local_name().as_ref()) {
                (Ns::Atom, "id") => e.guid = non_empty(p.text_of("id")?.trim().to_string()),
                (Ns::Atom, "title") => e.title = p.typed_text(&s)?,
                (Ns::Atom, "summary") => summary = p.typed_text(&s)?,
                (Ns::Atom, "content") => content = p.typed_text(&s)?,
                (Ns::Atom, "published") => published = parse_date(&p.text_of("published")?),
                (Ns::Atom, "updated" | "modified") => updated = parse_date(&p.text_of("updated")?),
                (Ns::Atom, "issued") => issued = parse_date(&p.text_of("issued")?),
                (Ns::Atom, "created") => created = parse_date(&p.text_of("created")?),
                (Ns::Atom, "author") => {
                    if let Some(n) = p.person(&s)? {
                        split_authors(&n, &mut e.authors);
                    }
                }
                (Ns::Atom, "link") => {
                    take_entry_link(&mut e, &s, &mut first_plain_link);
                    p.skip(&s)?;
                }
                (Ns::Atom, "category") => {
                    push_category(&mut e, &s);
                    p.skip(&s)?;
                }
                (Ns::Arxiv, "doi") | (Ns::Prism, "doi") | (Ns::Dc, "identifier") => {
                    let v = p.text_of("identifier")?;
                    apply_identifier(&mut e, &v);
                }
                (Ns::Arxiv, "journal_ref")
                | (Ns::Prism, "publicationName")
                | (Ns::Dc, "source") => {
                    let v = clean_inline(&p.text_of("journal")?);
                    if e.journal.is_none() {
                        e.journal = non_empty(v);
                    }
                }
                (Ns::Dc, "creator") => {
                    let v = p.text_of("creator")?;
                    split_authors(&v, &mut e.authors);
                }
                (Ns::Dc, "date") | (Ns::Prism, "publicationDate" | "coverDate") => {
                    let d = parse_date(&p.text_of("date")?);
                    if published.is_none() {
                        published = d;
                    }
                }
                (Ns::Dc, "subject") => {
                    let v = clean_inline(&p.text_of("subject")?);
                    if !v.is_empty() {
                        e.categories.push(v);
                    }
                }
                _ => p.skip(&s)?,
            },
            Event::Empty(s) => match (ns, s.local_name().as_ref()) {
                (Ns::Atom, "link") => take_entry_link(&mut e, &s, &mut first_plain_link),
                (Ns::Atom, "category") => push_category(&mut e, &s),
                _ => {}
            },
            Event::End(_) => break,
            Event::Eof => return Err(p.eof_err("entry")),
            _ => {}
        }
    }
    if e.link.is_none() {
        e.link = first_plain_link;
    }
    e.summary = fuller(content, summary);
    // Atom 0.3: issued is the publication date, created the fallback.
    e.published = published.or(issued).or(created);
    e.updated = updated;
    finish_entry(&mut e);
    Ok(e)
}

fn push_category(e: &mut RawEntry, s: &BytesStart<'_>) {
    if let Some(t) = attr(s, "term")
        .or_else(|| attr(s, "label"))
        .filter(|t| !t.is_empty())
    {
        e.categories.push(t);
    }
}
