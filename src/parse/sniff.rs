//! Sniffing: the XML root element (its name, namespace, `version` and a Netscape
//! DOCTYPE) or the JSON top-level keys decide a document's format before any parser runs.

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{ParseError, line_of};
use crate::model::Format;

pub(crate) const RDF_NS: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
pub(crate) const RSS090_NS: &str = "http://my.netscape.com/rdf/simple/0.9/";
pub(crate) const ATOM10_NS: &str = "http://www.w3.org/2005/Atom";
pub(crate) const ATOM03_NS: &str = "http://purl.org/atom/ns#";

pub(crate) const RSS1_NS: &str = "http://purl.org/rss/1.0/";
pub(crate) const USERLAND_NS: &str = "http://backend.userland.com/rss2";
pub(crate) const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";
pub(crate) const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// RSS 0.90's namespace, as published (`my.netscape.com`) and as some generators
/// wrote it (`channel.netscape.com`).
pub(crate) fn is_rss090_ns(uri: &str) -> bool {
    let u = uri.trim_end_matches('/');
    u == RSS090_NS.trim_end_matches('/') || u == "http://channel.netscape.com/rdf/simple/0.9"
}

/// The document's root element, as far as sniffing needs it.
#[derive(Debug)]
pub(crate) struct Root {
    /// Qualified name as written (`rdf:RDF`).
    pub qname: String,
    /// The root's namespace declarations, `(prefix, uri)`; `""` is the default namespace.
    pub namespaces: Vec<(String, String)>,
}

/// Recognises the API JSON documents by their top-level keys without building
/// the whole tree; `None` for anything else (including invalid JSON, which the
/// JSON Feed parser then reports with its line).
pub(super) fn sniff_json(text: &str) -> Option<Format> {
    use serde::de::IgnoredAny;
    #[derive(serde::Deserialize)]
    #[allow(non_snake_case)]
    struct Keys {
        resultList: Option<IgnoredAny>,
        studies: Option<IgnoredAny>,
        protocolSection: Option<IgnoredAny>,
        StudyFieldsResponse: Option<IgnoredAny>,
        FullStudiesResponse: Option<IgnoredAny>,
        FieldValuesResponse: Option<IgnoredAny>,
        messages: Option<IgnoredAny>,
        collection: Option<IgnoredAny>,
    }
    let k: Keys = serde_json::from_str(text).ok()?;
    if k.resultList.is_some() {
        Some(Format::EuropePmc)
    } else if k.studies.is_some()
        || k.protocolSection.is_some()
        || k.StudyFieldsResponse.is_some()
        || k.FullStudiesResponse.is_some()
        || k.FieldValuesResponse.is_some()
    {
        Some(Format::Ctgov)
    } else if k.messages.is_some() && k.collection.is_some() {
        Some(Format::Biorxiv)
    } else {
        None
    }
}

/// Reads up to the root element and decides the XML feed format.
pub(super) fn sniff_xml(text: &str, origin: &str) -> Result<(Format, Root), ParseError> {
    let mut reader = Reader::from_str(text);
    // RSS 0.91 documents without a version attribute still name Netscape's DTD.
    let mut netscape_091 = false;
    loop {
        let ev = reader.read_event().map_err(|e| {
            ParseError::syntax(origin, line_of(text, reader.error_position() as usize), e)
        })?;
        let start = match ev {
            Event::Start(s) | Event::Empty(s) => s,
            Event::DocType(d) => {
                netscape_091 = d.as_ref().contains("rss-0.91");
                continue;
            }
            Event::Eof => {
                return Err(ParseError::NotAFeed {
                    origin: origin.to_string(),
                    what: "no root element".into(),
                });
            }
            _ => continue,
        };
        let qname = start.name().as_ref().to_string();
        let mut namespaces = Vec::new();
        let mut version: Option<String> = None;
        for attr in start.attributes().with_checks(false) {
            let Ok(attr) = attr else { break };
            let key = attr.key.as_ref();
            let value = attr.value.trim().to_string();
            if key == "xmlns" {
                namespaces.push((String::new(), value));
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                namespaces.push((p.to_string(), value));
            } else if key == "version" {
                version = Some(value);
            }
        }
        let root = Root { qname, namespaces };
        return match root_format(&root, version.as_deref(), netscape_091) {
            Some(f) => Ok((f, root)),
            None => Err(ParseError::NotAFeed {
                origin: origin.to_string(),
                what: format!("root element <{}>", root.qname),
            }),
        };
    }
}

/// The feed format a root element names, from its local name, namespace and version.
fn root_format(root: &Root, version: Option<&str>, netscape_091: bool) -> Option<Format> {
    let (prefix, local) = match root.qname.split_once(':') {
        Some((p, l)) => (p, l),
        None => ("", root.qname.as_str()),
    };
    let ns_of = |p: &str| {
        root.namespaces
            .iter()
            .find(|(q, _)| q == p)
            .map(|(_, uri)| uri.as_str())
    };
    let elem_ns = ns_of(prefix);
    Some(match local {
        "rss" => match version {
            Some("0.90") => Format::Rss090,
            Some("0.91") => Format::Rss091,
            Some("0.92") => Format::Rss092,
            None if netscape_091 => Format::Rss091,
            _ => Format::Rss2,
        },
        // `rdf:RDF` is recognised by its conventional prefix even when undeclared.
        "RDF" if elem_ns == Some(RDF_NS) || (prefix == "rdf" && elem_ns.is_none()) => {
            if root.namespaces.iter().any(|(_, uri)| is_rss090_ns(uri)) {
                Format::Rss090
            } else {
                Format::Rss1
            }
        }
        "feed" if elem_ns == Some(ATOM10_NS) => Format::Atom10,
        "feed" if elem_ns == Some(ATOM03_NS) || version == Some("0.3") => Format::Atom03,
        // A `<feed>` in no namespace at all is Atom written carelessly.
        "feed" if prefix.is_empty() && elem_ns.is_none() => Format::Atom10,
        "PubmedArticleSet" | "eFetchResult" | "eSearchResult" => Format::Pubmed,
        _ => return None,
    })
}
