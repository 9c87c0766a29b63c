//! RSS 0.90/0.91/0.92/1.0/2.0 documents (via the `rss` crate) mapped to `RawEntry` values.

use ::rss::extension::ExtensionMap;
use ::rss::extension::dublincore::DublinCoreExtension;
use ::rss::{Channel, Item};

use url::Url;

use super::{
    ParseError, Root, apply_identifier, ends_with_root_close, finish_entry, locate_xml_error,
    non_empty, set_texts, split_authors, web_link,
};
use crate::model::{FeedInfo, Format, ParsedFeed, RawEntry};
use crate::normalize::dates::parse_date;
use crate::normalize::text::{clean_inline, html_to_text};

/// Parses an RSS document whose root was already sniffed. `text` is UTF-8 with
/// entities already made XML-safe; relative links resolve against `doc_base`, or
/// else against the channel's own link.
pub(crate) fn parse(
    text: &str,
    root: &Root,
    format: Format,
    origin: &str,
    doc_base: Option<Url>,
) -> Result<ParsedFeed, ParseError> {
    let (text, root_name) = super::rss_shape::for_crate(text, root, doc_base.as_ref());
    let channel = match Channel::read_from(text.as_bytes()) {
        Ok(c) => c,
        Err(e) => {
            return Err(match locate_xml_error(&text) {
                Some((line, msg)) => ParseError::syntax(origin, line, msg),
                None => ParseError::invalid(origin, format!("invalid RSS: {e}")),
            });
        }
    };
    if !ends_with_root_close(&text, root_name) {
        return Err(match locate_xml_error(&text) {
            Some((line, msg)) => ParseError::syntax(origin, line, msg),
            None => ParseError::syntax(
                origin,
                super::line_of(&text, text.len()),
                format!("document ends before </{root_name}>"),
            ),
        });
    }

    let ns = Namespaces::new(&channel);
    let feed_link = web_link(doc_base.as_ref(), channel.link());
    let base = doc_base.or_else(|| feed_link.as_deref().and_then(|l| Url::parse(l).ok()));
    // Channel-level prism:publicationName is explicit journal metadata (bioRxiv,
    // Nature), unlike the channel title, so it is the items' fallback journal.
    let channel_journal = ext_values(channel.extensions(), &ns.prism, "publicationName")
        .next()
        .map(clean_inline)
        .and_then(non_empty);
    let entries = channel
        .items()
        .iter()
        .map(|item| {
            let mut e = entry(item, &ns, base.as_ref());
            if e.journal.is_none() {
                e.journal.clone_from(&channel_journal);
            }
            e
        })
        .collect();
    let dc_title = || {
        let titles = channel.dublin_core_ext().map(|d| d.titles());
        titles
            .into_iter()
            .flatten()
            .find_map(|t| non_empty(clean_inline(t)))
    };
    Ok(ParsedFeed {
        feed: FeedInfo {
            title: non_empty(clean_inline(channel.title())).or_else(dc_title),
            link: feed_link,
            format,
            ttl_minutes: channel.ttl().and_then(|t| t.trim().parse().ok()),
        },
        entries,
    })
}

/// Extension prefixes by namespace: the rss crate files unknown extensions
/// under the prefix the document used, so look prefixes up by namespace URI.
struct Namespaces {
    prism: Vec<String>,
    dcterms: Vec<String>,
    atom: Vec<String>,
}

impl Namespaces {
    fn new(channel: &Channel) -> Self {
        let find = |needle: &str, default: &str| {
            let mut v: Vec<String> = channel
                .namespaces()
                .iter()
                .filter(|(_, uri)| uri.contains(needle))
                .map(|(p, _)| p.clone())
                .collect();
            if !v.iter().any(|p| p == default) {
                v.push(default.to_string());
            }
            v
        };
        Namespaces {
            // prismstandard.org, or purl.org/rss/1.0/modules/prism/ (bioRxiv).
            prism: find("prism", "prism"),
            dcterms: find("purl.org/dc/terms", "dcterms"),
            atom: find("www.w3.org/2005/Atom", "atom"),
        }
    }
}

/// Values of `prefix:name` extension elements for any of the prefixes.
fn ext_values<'a, P: AsRef<str>>(
    map: &'a ExtensionMap,
    prefixes: &'a [P],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    prefixes
        .iter()
        .filter_map(move |p| map.get(p.as_ref())?.get(name))
        .flatten()
        .filter_map(|e| e.value())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// An item's Dublin Core values: the crate's `dublin_core_ext`, plus elements under
/// the `dc` prefix bound to a non-standard URI, which the crate files by prefix.
struct Dc<'a> {
    ext: Option<&'a DublinCoreExtension>,
    map: &'a ExtensionMap,
}

impl<'a> Dc<'a> {
    fn values(&self, name: &'static str) -> Vec<&'a str> {
        let from_ext = self.ext.map(|d| match name {
            "creator" => d.creators(),
            "contributor" => d.contributors(),
            "date" => d.dates(),
            "description" => d.descriptions(),
            "identifier" => d.identifiers(),
            "subject" => d.subjects(),
            "source" => d.sources(),
            "title" => d.titles(),
            _ => &[],
        });
        let by_prefix = self.map.get("dc").and_then(|m| m.get(name));
        from_ext
            .into_iter()
            .flatten()
            .map(String::as_str)
            .chain(by_prefix.into_iter().flatten().filter_map(|e| e.value()))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }
}

fn entry(item: &Item, ns: &Namespaces, base: Option<&Url>) -> RawEntry {
    let ext = item.extensions();
    let dc = Dc {
        ext: item.dublin_core_ext(),
        map: ext,
    };
    let mut e = RawEntry {
        guid: item
            .guid()
            .map(|g| g.value().trim().to_string())
            .filter(|g| !g.is_empty()),
        title: item
            .title()
            .map(clean_inline)
            .and_then(non_empty)
            .or_else(|| {
                dc.values("title")
                    .into_iter()
                    .find_map(|t| non_empty(clean_inline(t)))
            }),
        link: item_link(item, base),
        ..RawEntry::default()
    };

    let description = item.description().unwrap_or("");
    let sd = ScienceDirect::extract(description);
    let desc_text = match &sd {
        Some(sd) => sd.rest.clone(),
        None => non_empty(html_to_text(description)),
    };
    // The summary is the description (or dc:description); the full content
    // (content:encoded, else an XHTML body) stands in for it when there is none.
    let content = item
        .content()
        .map(html_to_text)
        .and_then(non_empty)
        .or_else(|| ext_values(ext, &["xhtml"], "body").find_map(|b| non_empty(html_to_text(b))));
    let summary = desc_text.or_else(|| {
        dc.values("description")
            .into_iter()
            .find_map(|d| non_empty(html_to_text(d)))
    });
    set_texts(&mut e, summary, content);

    e.published = item
        .pub_date()
        .and_then(parse_date)
        .or_else(|| dc.values("date").into_iter().find_map(parse_date))
        .or_else(|| ext_values(ext, &ns.prism, "publicationDate").find_map(parse_date))
        .or_else(|| ext_values(ext, &ns.prism, "coverDate").find_map(parse_date))
        .or_else(|| sd.as_ref().and_then(|s| s.published))
        .or_else(|| ext_values(ext, &ns.dcterms, "issued").find_map(parse_date))
        .or_else(|| ext_values(ext, &ns.dcterms, "created").find_map(parse_date));
    e.updated = ext_values(ext, &ns.dcterms, "modified")
        .chain(ext_values(ext, &["dc"], "modified"))
        .chain(ext_values(ext, &ns.atom, "updated"))
        .find_map(parse_date);

    people(&mut e, item, &dc, sd.as_ref());
    for d in ext_values(ext, &ns.prism, "doi") {
        apply_identifier(&mut e, d);
    }
    for id in dc.values("identifier") {
        apply_identifier(&mut e, id);
    }

    e.journal = ext_values(ext, &ns.prism, "publicationName")
        .next()
        .or_else(|| dc.values("source").into_iter().next())
        .map(clean_inline)
        .and_then(non_empty)
        .or_else(|| sd.as_ref().and_then(|s| s.journal.clone()));

    e.categories = item
        .categories()
        .iter()
        .map(|c| clean_inline(c.name()))
        .chain(dc.values("subject").into_iter().map(clean_inline))
        .filter(|c| !c.is_empty())
        .collect();

    finish_entry(&mut e);
    e
}

/// The item's `<link>`, else its GUID when that is a permalink (the default); only
/// an http(s) address, relative ones resolved against `base`, counts.
fn item_link(item: &Item, base: Option<&Url>) -> Option<String> {
    item.link().and_then(|l| web_link(base, l)).or_else(|| {
        let g = item.guid().filter(|g| g.is_permalink())?;
        web_link(base, g.value())
    })
}

/// Authors: `<author>` and dc:creator; dc:contributor only when neither names anyone;
/// ScienceDirect's description block last.
fn people(e: &mut RawEntry, item: &Item, dc: &Dc<'_>, sd: Option<&ScienceDirect>) {
    if let Some(a) = item.author() {
        split_authors(rss_author_name(a), &mut e.authors);
    }
    for c in dc.values("creator") {
        split_authors(c, &mut e.authors);
    }
    if e.authors.is_empty() {
        for c in dc.values("contributor") {
            split_authors(c, &mut e.authors);
        }
    }
    if e.authors.is_empty()
        && let Some(sd) = sd
    {
        for a in &sd.authors {
            split_authors(a, &mut e.authors);
        }
    }
}

/// RSS 2.0 `<author>` is "email (Name)"; keep the name, drop a bare email.
fn rss_author_name(a: &str) -> &str {
    let a = a.trim();
    if let (Some(open), Some(close)) = (a.find('('), a.rfind(')'))
        && open < close
        && a[..open].contains('@')
    {
        return a[open + 1..close].trim();
    }
    if a.contains('@') && !a.contains(' ') {
        ""
    } else {
        a
    }
}

/// ScienceDirect TOC feeds put the metadata into the description as labelled
/// HTML blocks ("Publication date: …", "Source: …", "Author(s): …").
struct ScienceDirect {
    published: Option<chrono::DateTime<chrono::Utc>>,
    journal: Option<String>,
    authors: Vec<String>,
    /// Any other text blocks (an abstract, when present).
    rest: Option<String>,
}

impl ScienceDirect {
    fn extract(desc: &str) -> Option<ScienceDirect> {
        if !(desc.contains("Author(s):") || desc.contains("Publication date:")) {
            return None;
        }
        let mut sd = ScienceDirect {
            published: None,
            journal: None,
            authors: Vec::new(),
            rest: None,
        };
        let mut rest: Vec<String> = Vec::new();
        for block in html_blocks(desc) {
            if let Some(d) = block.strip_prefix("Publication date:") {
                let d = d.trim();
                let d = d.strip_prefix("Available online").unwrap_or(d).trim();
                sd.published = parse_date(d);
            } else if let Some(s) = block.strip_prefix("Source:") {
                let j = s.split(',').next().unwrap_or("").trim();
                sd.journal = non_empty(j.to_string());
            } else if let Some(a) = block.strip_prefix("Author(s):") {
                // An explicit list: every comma separates two people.
                sd.authors.extend(
                    a.split(',')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty()),
                );
            } else {
                rest.push(block);
            }
        }
        sd.rest = non_empty(rest.join(" "));
        Some(sd)
    }
}

/// Splits HTML at `<p>`, `<br>` and `<div>` boundaries into plain-text blocks.
fn html_blocks(html: &str) -> Vec<String> {
    let b = html.as_bytes();
    let mut blocks = Vec::new();
    let mut start = 0;
    for (i, _) in html.match_indices('<') {
        let tail = &b[i + 1..];
        let tail = tail.strip_prefix(b"/").unwrap_or(tail);
        let is_break = [&b"p"[..], b"br", b"div"].iter().any(|t| {
            tail.len() > t.len()
                && tail[..t.len()].eq_ignore_ascii_case(t)
                && matches!(tail[t.len()], b'>' | b' ' | b'/')
        });
        if is_break {
            let t = html_to_text(&html[start..i]);
            if !t.is_empty() {
                blocks.push(t);
            }
            start = i;
        }
    }
    let t = html_to_text(&html[start..]);
    if !t.is_empty() {
        blocks.push(t);
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_field() {
        assert_eq!(rss_author_name("jdoe@example.org (Jane Doe)"), "Jane Doe");
        assert_eq!(rss_author_name("jdoe@example.org"), "");
        assert_eq!(rss_author_name("Jane Doe"), "Jane Doe");
    }

    #[test]
    fn sciencedirect_blocks() {
        let sd = ScienceDirect::extract(
            "<p>Publication date: Available online 3 May 2024</p><p><b>Source:</b> Journal of Affective Disorders, Volume 360</p><p>Author(s): Ana Ruiz, Wei Chen, Tomas Berg</p>",
        )
        .expect("sd");
        assert_eq!(
            sd.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2024-05-03T00:00:00+00:00")
        );
        assert_eq!(
            sd.journal.as_deref(),
            Some("Journal of Affective Disorders")
        );
        assert_eq!(sd.authors, ["Ana Ruiz", "Wei Chen", "Tomas Berg"]);
        assert_eq!(sd.rest, None);
    }
}
