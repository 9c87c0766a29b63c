//! The one place that decides whether the `rss` crate can read an RSS document as it
//! is, and reshapes the ones it cannot into the literal element names it expects.
//!
//! The crate matches qualified names as written (`rss`, `rdf:RDF`, `channel`,
//! `content:encoded`) and gives up without a `<channel>`. Valid documents that break
//! those assumptions are rewritten in one namespace-aware pass:
//! - the root becomes `rss` or `rdf:RDF` whatever its prefix;
//! - elements in the RSS 0.90, 1.0 or UserLand namespaces lose their prefix;
//! - elements in the content module become `content:…` whatever their prefix;
//! - an XHTML `body` becomes `xhtml:body` with its markup kept as escaped text;
//! - a document without a `<channel>` gets an empty one, so an empty feed is a feed;
//! - a channel's or item's `<link>` under an `xml:base` is written resolved.
//!
//! Everything else, attributes included, is copied byte for byte. A document the
//! rewriting pass cannot read is handed over unchanged, so the error the crate then
//! reports is about the document as written.

use std::borrow::Cow;

use memchr::memmem;
use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use url::Url;

use super::{
    CONTENT_NS, RDF_NS, RSS1_NS, Root, USERLAND_NS, XHTML_NS, attr, is_rss090_ns, rebase, web_link,
};

/// The document as the crate can read it, and the name its root then has.
pub(crate) fn for_crate<'t>(
    text: &'t str,
    root: &Root,
    doc_base: Option<&Url>,
) -> (Cow<'t, str>, &'static str) {
    let root_name = if root.qname.rsplit(':').next() == Some("RDF") {
        "rdf:RDF"
    } else {
        "rss"
    };
    if !needs_reshape(text, root, root_name) {
        return (Cow::Borrowed(text), root_name);
    }
    match reshape(text, root_name, doc_base) {
        Some(out) => (Cow::Owned(out), root_name),
        None => (Cow::Borrowed(text), root_name),
    }
}

/// Cheap checks on the root and the raw text; a false "yes" only costs a rewrite.
fn needs_reshape(text: &str, root: &Root, root_name: &str) -> bool {
    let bytes = text.as_bytes();
    root.qname != root_name
        || root.namespaces.iter().any(|(prefix, uri)| {
            (!prefix.is_empty() && is_rss_ns(uri)) || (uri == CONTENT_NS && prefix != "content")
        })
        || memmem::find(bytes, b"<channel").is_none()
        || memmem::find_iter(bytes, b"body").any(|i| i > 0 && matches!(bytes[i - 1], b'<' | b':'))
        || memmem::find(bytes, b"xml:base").is_some()
}

fn is_rss_ns(uri: &str) -> bool {
    let u = uri.trim_end_matches('/');
    is_rss090_ns(uri)
        || [RSS1_NS, USERLAND_NS]
            .iter()
            .any(|ns| ns.trim_end_matches('/') == u)
}

/// The vocabularies the reshaping cares about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Vocab {
    Rss,
    Rdf,
    Content,
    Xhtml,
    Other,
}

fn vocab(res: &ResolveResult<'_>) -> Vocab {
    let ResolveResult::Bound(ns) = res else {
        return Vocab::Other;
    };
    let uri: &str = ns.as_ref();
    if is_rss_ns(uri) {
        Vocab::Rss
    } else if uri == RDF_NS {
        Vocab::Rdf
    } else if uri == CONTENT_NS {
        Vocab::Content
    } else if uri == XHTML_NS {
        Vocab::Xhtml
    } else {
        Vocab::Other
    }
}

/// The canonical name of an element, when it may differ from the written one.
fn canonical(depth: usize, root_name: &str, vocab: Vocab, local: &str) -> Option<String> {
    match vocab {
        _ if depth == 0 => Some(root_name.to_string()),
        Vocab::Rss => Some(local.to_string()),
        Vocab::Rdf => Some(format!("rdf:{local}")),
        Vocab::Content => Some(format!("content:{local}")),
        Vocab::Xhtml | Vocab::Other => None,
    }
}

/// An element open in the rewriting pass.
struct Open {
    /// Its new name, when it is renamed.
    renamed: Option<String>,
    /// The base its relative links resolve against (`xml:base` applied).
    base: Option<Url>,
}

/// The rewriting pass; `None` when the document is not well-formed enough to read.
fn reshape(text: &str, root_name: &str, doc_base: Option<&Url>) -> Option<String> {
    let mut reader = NsReader::from_str(text);
    let mut out = String::with_capacity(text.len() + 64);
    let mut open: Vec<Open> = Vec::new();
    let mut channel_seen = false;
    let mut after_root_start = None;
    loop {
        let before = reader.buffer_position() as usize;
        let (vocab, ev) = match reader.read_resolved_event() {
            Ok((res, ev)) => (vocab(&res), ev),
            Err(_) => return None,
        };
        let raw = &text[before..reader.buffer_position() as usize];
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                let empty = matches!(ev, Event::Empty(_));
                let qname = s.name().as_ref().to_string();
                let local = qname.rsplit(':').next().unwrap_or(&qname).to_string();
                if vocab == Vocab::Xhtml && local == "body" {
                    xhtml_body(&mut reader, text, raw, empty, &mut out)?;
                    continue;
                }
                let parent_base = open.last().map_or(doc_base, |o| o.base.as_ref());
                let base = rebase(parent_base, attr(s, "xml:base").as_deref());
                let renamed = canonical(open.len(), root_name, vocab, &local);
                let written = renamed.as_deref().unwrap_or(&qname).to_string();
                channel_seen |= open.len() == 1 && written == "channel";
                out.push('<');
                out.push_str(&written);
                if open.is_empty() && empty {
                    // `<rss/>`: opened here, so that a channel can go inside.
                    out.push_str(raw[1 + qname.len()..raw.len() - 2].trim_end());
                    out.push('>');
                    after_root_start = Some(out.len());
                    out.push_str("</");
                    out.push_str(root_name);
                    out.push('>');
                    continue;
                }
                out.push_str(&raw[1 + qname.len()..]);
                if open.is_empty() {
                    after_root_start = Some(out.len());
                }
                if empty {
                    continue;
                }
                if open.len() >= 2 && written == "link" && base.is_some() {
                    // The link's text, resolved; the end tag is written below.
                    resolved_link(&mut reader, text, &qname, base.as_ref(), &mut out)?;
                    out.push_str("</link>");
                    continue;
                }
                open.push(Open { renamed, base });
            }
            Event::End(_) => match open.pop()?.renamed {
                Some(name) => {
                    out.push_str("</");
                    out.push_str(&name);
                    out.push('>');
                }
                None => out.push_str(raw),
            },
            // A truncated document goes to the crate as written, to be reported.
            Event::Eof if !open.is_empty() => return None,
            Event::Eof => break,
            _ => out.push_str(raw),
        }
    }
    if !channel_seen {
        out.insert_str(after_root_start?, "<channel></channel>");
    }
    Some(out)
}

/// Reads a `<link>`'s content up to its end tag and writes it resolved against
/// `base` (as written when it does not resolve to an http(s) address).
fn resolved_link(
    reader: &mut NsReader<&[u8]>,
    text: &str,
    qname: &str,
    base: Option<&Url>,
    out: &mut String,
) -> Option<()> {
    let inner_start = reader.buffer_position() as usize;
    reader.read_to_end(quick_xml::name::QName(qname)).ok()?;
    let end = reader.buffer_position() as usize;
    let inner = &text[inner_start..text[..end].rfind("</")?];
    let unescaped = quick_xml::escape::unescape(inner).ok();
    match unescaped.as_deref().and_then(|href| web_link(base, href)) {
        Some(link) => out.push_str(&quick_xml::escape::escape(link.as_str())),
        None => out.push_str(inner),
    }
    Some(())
}

/// Writes an XHTML `body` as `xhtml:body` whose text is its inner markup, escaped.
fn xhtml_body(
    reader: &mut NsReader<&[u8]>,
    text: &str,
    raw: &str,
    empty: bool,
    out: &mut String,
) -> Option<()> {
    if empty {
        out.push_str("<xhtml:body/>");
        return Some(());
    }
    let inner_start = reader.buffer_position() as usize;
    let qname = raw[1..]
        .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .next()?;
    reader.read_to_end(quick_xml::name::QName(qname)).ok()?;
    let end = reader.buffer_position() as usize;
    let inner_end = text[..end].rfind("</")?;
    out.push_str("<xhtml:body>");
    out.push_str(&quick_xml::escape::escape(&text[inner_start..inner_end]));
    out.push_str("</xhtml:body>");
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(qname: &str, namespaces: &[(&str, &str)]) -> Root {
        Root {
            qname: qname.into(),
            namespaces: namespaces
                .iter()
                .map(|(p, u)| (p.to_string(), u.to_string()))
                .collect(),
        }
    }

    fn for_crate_at<'t>(doc: &'t str, root: &Root) -> (Cow<'t, str>, &'static str) {
        for_crate(doc, root, None)
    }

    #[test]
    fn plain_documents_are_borrowed() {
        let doc = "<rss version=\"2.0\"><channel><title>antibody</title></channel></rss>";
        let (out, name) = for_crate_at(doc, &root("rss", &[]));
        assert!(matches!(out, Cow::Borrowed(_)));
        assert_eq!(name, "rss");
    }

    #[test]
    fn prefixed_rss1_and_empty_roots_are_reshaped() {
        let doc = r#"<r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:x="http://purl.org/rss/1.0/"><x:channel r:about="u"><x:title>T</x:title></x:channel></r:RDF>"#;
        let ns = [("r", RDF_NS), ("x", RSS1_NS)];
        let (out, _) = for_crate_at(doc, &root("r:RDF", &ns));
        assert_eq!(
            out,
            r#"<rdf:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:x="http://purl.org/rss/1.0/"><channel r:about="u"><title>T</title></channel></rdf:RDF>"#
        );
        let (out, _) = for_crate_at("<rss version=\"2.0\"/>", &root("rss", &[]));
        assert_eq!(out, "<rss version=\"2.0\"><channel></channel></rss>");
        let (out, _) = for_crate_at("<rss></rss>", &root("rss", &[]));
        assert_eq!(out, "<rss><channel></channel></rss>");
    }

    #[test]
    fn xhtml_body_is_escaped_text() {
        let doc = r#"<rss xmlns:h="http://www.w3.org/1999/xhtml"><channel><item><h:body><h:p>A &amp; B</h:p></h:body></item></channel></rss>"#;
        let (out, _) = for_crate_at(doc, &root("rss", &[("h", XHTML_NS)]));
        assert!(
            out.contains("<xhtml:body>&lt;h:p&gt;A &amp;amp; B&lt;/h:p&gt;</xhtml:body>"),
            "{out}"
        );
    }
}
