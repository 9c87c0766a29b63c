//! Atom 1.0 documents for `serve`, written with quick-xml's `Writer`: stable
//! `urn:ketlit:entry:ID` ids, the entry's link (http and https only) and its DOI,
//! PubMed and registry links, the abstract as summary, tags as categories.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::export::link::{doi_link, work_link};
use crate::store::EntryDetail;

/// What a feed is about, for its id, title and links.
pub struct FeedMeta {
    /// `urn:ketlit:feed:…`
    pub id: String,
    pub title: String,
    /// Absolute URL of this document.
    pub self_url: String,
    /// Absolute URL of the HTML page showing the same entries.
    pub html_url: String,
}

/// `s` without the characters XML 1.0 forbids (stray control bytes from a feed must
/// not make the whole document unreadable); the writer escapes the rest.
fn xml_text(s: &str) -> Cow<'_, str> {
    let forbidden = |c: char| matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}');
    if s.contains(forbidden) {
        Cow::Owned(s.chars().filter(|&c| !forbidden(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// When an entry last changed as far as a reader cares: its source's update stamp or
/// when ketlit first saw it, whichever is later (so a new old paper still looks new).
pub fn entry_updated(d: &EntryDetail) -> DateTime<Utc> {
    [d.updated, d.first_seen, d.summary.published]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// The newest `entry_updated` of `entries`: the feed's `updated` and Last-Modified.
pub fn feed_updated(entries: &[EntryDetail]) -> DateTime<Utc> {
    entries
        .iter()
        .map(entry_updated)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

pub fn feed(meta: &FeedMeta, entries: &[EntryDetail]) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_feed(&mut w, meta, entries).expect("writing to memory cannot fail");
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    // Every piece written was a &str.
    String::from_utf8(bytes).unwrap_or_default()
}

type W = Writer<Vec<u8>>;

fn write_feed(w: &mut W, meta: &FeedMeta, entries: &[EntryDetail]) -> std::io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    w.create_element("feed")
        .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
        .write_inner_content(|w| {
            text(w, "id", &meta.id)?;
            text(w, "title", &meta.title)?;
            text(w, "updated", &rfc3339(feed_updated(entries)))?;
            link(w, "self", "application/atom+xml", &meta.self_url, None)?;
            link(w, "alternate", "text/html", &meta.html_url, None)?;
            // Entries without authors are valid only under a feed-level author.
            w.create_element("author")
                .write_inner_content(|w| text(w, "name", "ketlit"))?;
            w.create_element("generator")
                .with_attribute(("version", env!("CARGO_PKG_VERSION")))
                .write_text_content(BytesText::new("ketlit"))?;
            entries.iter().try_for_each(|d| entry(w, d))
        })?;
    Ok(())
}

/// `<name>value</name>`.
fn text(w: &mut W, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&xml_text(value)))?;
    Ok(())
}

/// `<name type="text">value</name>`.
fn typed_text(w: &mut W, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name)
        .with_attribute(("type", "text"))
        .write_text_content(BytesText::new(&xml_text(value)))?;
    Ok(())
}

fn link(w: &mut W, rel: &str, ty: &str, href: &str, title: Option<&str>) -> std::io::Result<()> {
    let el = w
        .create_element("link")
        .with_attribute(("rel", rel))
        .with_attribute(("type", ty))
        .with_attribute(("href", xml_text(href).as_ref()));
    match title {
        Some(t) => el.with_attribute(("title", t)).write_empty()?,
        None => el.write_empty()?,
    };
    Ok(())
}

fn entry(w: &mut W, d: &EntryDetail) -> std::io::Result<()> {
    let s = &d.summary;
    w.create_element("entry").write_inner_content(|w| {
        text(w, "id", &format!("urn:ketlit:entry:{}", s.id))?;
        let title = match s.title.trim() {
            "" => "(untitled)",
            t => t,
        };
        typed_text(w, "title", title)?;
        text(w, "updated", &rfc3339(entry_updated(d)))?;
        if let Some(p) = s.published {
            text(w, "published", &rfc3339(p))?;
        }
        for a in &d.authors {
            w.create_element("author")
                .write_inner_content(|w| text(w, "name", a))?;
        }
        let alternate = work_link(s.link.as_deref(), s.doi.as_deref());
        if let Some(l) = &alternate {
            link(w, "alternate", "text/html", l, None)?;
        }
        for (href, title) in related(d, alternate.as_deref()) {
            link(w, "related", "text/html", &href, Some(title))?;
        }
        for t in &s.tags {
            w.create_element("category")
                .with_attribute(("term", xml_text(t).as_ref()))
                .with_attribute(("scheme", "urn:ketlit:tags"))
                .write_empty()?;
        }
        if let Some(a) = &d.abstract_ {
            typed_text(w, "summary", a)?;
        }
        // Atom needs content when there is no alternate link.
        if alternate.is_none() {
            typed_text(w, "content", s.journal.as_deref().unwrap_or(&s.title))?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The DOI (unless it is already the alternate link), PubMed, PMC and registry pages.
fn related(d: &EntryDetail, alternate: Option<&str>) -> Vec<(String, &'static str)> {
    let s = &d.summary;
    let mut related = Vec::new();
    if let Some(u) = s
        .doi
        .as_deref()
        .and_then(doi_link)
        .filter(|u| Some(u.as_str()) != alternate)
    {
        related.push((u, "DOI"));
    }
    if let Some(p) = &s.pmid {
        related.push((format!("https://pubmed.ncbi.nlm.nih.gov/{p}/"), "PubMed"));
    }
    if let Some(p) = &s.pmcid {
        related.push((format!("https://pmc.ncbi.nlm.nih.gov/articles/{p}/"), "PMC"));
    }
    if let Some(n) = &s.nct_id {
        related.push((
            format!("https://clinicaltrials.gov/study/{n}"),
            "ClinicalTrials.gov",
        ));
    }
    related
}
