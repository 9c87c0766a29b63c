//! OPML 2.0 in and out: the feed list for newsboat, Miniflux and other readers, and
//! subscriptions from them. ketlit's own settings travel in `ketlit:*` attributes so
//! an export imported back gives the same feeds.

use std::io::Write;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};

use crate::model::Kind;

/// Namespace of the `ketlit:kind`, `ketlit:filter`, `ketlit:schedule` attributes.
pub const NS: &str = "https://ketlit.invalid/opml";

/// One subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    pub title: String,
    pub xml_url: String,
    pub html_url: Option<String>,
    /// `ketlit:kind` when the file came from ketlit.
    pub kind: Option<String>,
    pub filter: Option<String>,
    pub schedule: Option<String>,
}

pub fn write(title: &str, feeds: &[OpmlFeed], out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = Writer::new_with_indent(out, b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("opml")
        .with_attribute(("version", "2.0"))
        .with_attribute(("xmlns:ketlit", NS))
        .write_inner_content(|w| {
            w.create_element("head").write_inner_content(|w| {
                w.create_element("title")
                    .write_text_content(BytesText::new(title))?;
                w.create_element("dateCreated")
                    .write_text_content(BytesText::new(&crate::serve::http_date(
                        chrono::Utc::now(),
                    )))?;
                Ok(())
            })?;
            w.create_element("body").write_inner_content(|w| {
                for f in feeds {
                    let mut el = BytesStart::new("outline");
                    el.push_attribute(("type", "rss"));
                    el.push_attribute(("text", f.title.as_str()));
                    el.push_attribute(("title", f.title.as_str()));
                    el.push_attribute(("xmlUrl", f.xml_url.as_str()));
                    if let Some(h) = &f.html_url {
                        el.push_attribute(("htmlUrl", h.as_str()));
                    }
                    if let Some(k) = &f.kind {
                        el.push_attribute(("ketlit:kind", k.as_str()));
                    }
                    if let Some(x) = &f.filter {
                        el.push_attribute(("ketlit:filter", x.as_str()));
                    }
                    if let Some(x) = &f.schedule {
                        el.push_attribute(("ketlit:schedule", x.as_str()));
                    }
                    w.write_event(Event::Empty(el))?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    writeln!(w.get_mut())?;
    Ok(())
}

/// Every `outline` with an `xmlUrl`, however deeply nested in categories.
pub fn read(text: &str, origin: &str) -> Result<Vec<OpmlFeed>, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut feeds = Vec::new();
    let mut saw_opml = false;
    loop {
        let ev = reader.read_event().map_err(|e| {
            format!(
                "{origin}: line {}: not valid XML: {e}",
                crate::parse::line_of(text, reader.error_position() as usize)
            )
        })?;
        let el = match ev {
            Event::Start(e) | Event::Empty(e) => e,
            Event::Eof => break,
            _ => continue,
        };
        match el.name().as_ref() {
            "opml" => saw_opml = true,
            "outline" => {
                let Some(xml_url) = attr(&el, "xmlUrl").filter(|u| !u.is_empty()) else {
                    continue;
                };
                let title = attr(&el, "title")
                    .filter(|t| !t.is_empty())
                    .or_else(|| attr(&el, "text").filter(|t| !t.is_empty()))
                    .unwrap_or_else(|| {
                        url::Url::parse(&xml_url)
                            .ok()
                            .and_then(|u| u.host_str().map(str::to_owned))
                            .unwrap_or_else(|| "feed".into())
                    });
                feeds.push(OpmlFeed {
                    title,
                    xml_url,
                    html_url: attr(&el, "htmlUrl").filter(|u| !u.is_empty()),
                    kind: attr(&el, "ketlit:kind"),
                    filter: attr(&el, "ketlit:filter"),
                    schedule: attr(&el, "ketlit:schedule"),
                });
            }
            _ => {}
        }
    }
    if !saw_opml {
        return Err(format!("{origin}: not an OPML file (no <opml> element)"));
    }
    Ok(feeds)
}

fn attr(el: &BytesStart<'_>, name: &str) -> Option<String> {
    let a = el.try_get_attribute(name).ok()??;
    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
        .ok()
        .map(|v| v.trim().to_string())
}

/// The kind a URL most likely needs: the API endpoints ketlit knows, else `auto`
/// (which sniffs RSS, Atom and JSON Feed).
pub fn guess_kind(url: &str) -> Kind {
    let u = url.to_ascii_lowercase();
    let rest = u.split_once("://").map_or(u.as_str(), |(_, r)| r);
    if rest.starts_with("eutils.ncbi.nlm.nih.gov/") {
        Kind::Pubmed
    } else if rest.starts_with("www.ebi.ac.uk/europepmc/")
        || rest.starts_with("ebi.ac.uk/europepmc/")
    {
        Kind::EuropePmc
    } else if rest.starts_with("api.biorxiv.org/") {
        Kind::Biorxiv
    } else if rest.starts_with("clinicaltrials.gov/api/")
        || rest.starts_with("www.clinicaltrials.gov/api/")
    {
        Kind::Ctgov
    } else if rest.starts_with("export.arxiv.org/api/") {
        Kind::Arxiv
    } else {
        Kind::Auto
    }
}

/// A feed name from a title: lower-case `[a-z0-9-]`, at most 40 characters.
pub fn slug(title: &str) -> String {
    let mut s = String::new();
    for c in title.chars() {
        let folded = super::ascii_word(&c.to_string());
        if folded.is_empty() {
            if !s.ends_with('-') {
                s.push('-');
            }
        } else {
            s.push_str(&folded);
        }
    }
    let s: String = s.trim_matches('-').chars().take(40).collect();
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() { "feed".into() } else { s }
}

/// `base`, or `base-2`, `base-3`, … whichever `taken` does not hold.
pub fn unique_name(base: &str, taken: &dyn Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base}-{i}"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| base.to_string())
}

/// A TOML basic string, quoted and escaped.
pub fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_guessed_from_known_api_hosts() {
        assert_eq!(
            guess_kind(
                "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi?db=pubmed&term=x"
            ),
            Kind::Pubmed
        );
        assert_eq!(
            guess_kind("https://www.ebi.ac.uk/europepmc/webservices/rest/search?query=x"),
            Kind::EuropePmc
        );
        assert_eq!(
            guess_kind("https://api.biorxiv.org/details/medrxiv"),
            Kind::Biorxiv
        );
        assert_eq!(
            guess_kind("https://clinicaltrials.gov/api/v2/studies?x"),
            Kind::Ctgov
        );
        assert_eq!(
            guess_kind("http://export.arxiv.org/api/query?search_query=x"),
            Kind::Arxiv
        );
        assert_eq!(guess_kind("https://www.nature.com/mp.rss"), Kind::Auto);
    }

    #[test]
    fn slugs_are_valid_names() {
        assert_eq!(
            slug("Molecular Psychiatry (Nature)"),
            "molecular-psychiatry-nature"
        );
        assert_eq!(slug("Ärzteblatt — Psychiatrie"), "arzteblatt-psychiatrie");
        assert_eq!(slug("???"), "feed");
        let taken = |n: &str| n == "a" || n == "a-2";
        assert_eq!(unique_name("a", &taken), "a-3");
        assert_eq!(toml_string("a\"b\\c\u{1}"), "\"a\\\"b\\\\c\\u0001\"");
    }

    #[test]
    fn reads_nested_outlines_and_escapes_on_write() {
        let feeds = vec![OpmlFeed {
            title: "A & B <journal>".into(),
            xml_url: "https://example.org/f?a=1&b=2".into(),
            html_url: Some("https://example.org/".into()),
            kind: Some("rss".into()),
            filter: Some("ketamine OR \"nmda\"".into()),
            schedule: None,
        }];
        let mut out = Vec::new();
        write("t", &feeds, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("a=1&amp;b=2"), "{text}");
        assert_eq!(read(&text, "x").unwrap(), feeds);
        let nested = r#"<opml version="1.0"><body><outline text="Cat"><outline text="T" xmlUrl="http://x/y"/></outline></body></opml>"#;
        assert_eq!(read(nested, "x").unwrap()[0].title, "T");
        assert!(
            read("<html/>", "f.opml")
                .unwrap_err()
                .contains("not an OPML")
        );
    }
}
