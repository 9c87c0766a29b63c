//! bioRxiv/medRxiv API JSON (`api.biorxiv.org` `details` and `pubs` endpoints) mapped to `RawEntry` values and preprint→journal links.
//!
//! Conventions (documented for users):
//! - `guid` and `doi` are the preprint DOI (any prefix: medRxiv also issues
//!   non-10.1101 DOIs); `link` is the version's page on the server's site.
//! - `published` is the `date` of the version listed; for versions after the
//!   first, `updated` carries the same date.
//! - `categories`: `type:preprint` and the subject category as written.
//! - A `published` journal DOI (anything other than "NA") becomes a
//!   `WorkLink { rel: "published-as", from_doi: preprint, to_doi: journal }`.

use serde_json::Value;

use super::json::{items, parse_json, text_at, u64_at};
use super::{ParseError, finish_entry, non_empty, split_authors};
use crate::model::WorkLink;
use crate::model::{FeedInfo, Format, ParsedFeed, RawEntry};
use crate::normalize::dates::parse_date;
use crate::normalize::ids::normalize_doi;
use crate::normalize::text::{clean_inline, html_to_text};

/// One page of `details` or `pubs`.
#[derive(Debug, Clone, PartialEq)]
pub struct BiorxivPage {
    pub feed: ParsedFeed,
    pub links: Vec<WorkLink>,
    /// `messages[0].status`: "ok", or e.g. "no posts found" (zero hits, not an error).
    pub status: Option<String>,
    pub cursor: Option<u64>,
    pub count: Option<u64>,
    pub total: Option<u64>,
    /// Items in `collection`, including any that yielded no entry: the
    /// cursor advances by this.
    pub items: usize,
}

pub fn parse(text: &str, origin: &str) -> Result<ParsedFeed, ParseError> {
    parse_page(text, origin).map(|p| p.feed)
}

pub fn parse_page(text: &str, origin: &str) -> Result<BiorxivPage, ParseError> {
    let doc = parse_json(text, origin, "bioRxiv API")?;
    let Some(msg) = items(&doc, "messages").first() else {
        return Err(ParseError::NotAFeed {
            origin: origin.to_string(),
            what: "JSON without messages (not a bioRxiv API response)".into(),
        });
    };
    let mut entries = Vec::new();
    let mut links: Vec<WorkLink> = Vec::new();
    let collection = items(&doc, "collection");
    for item in collection {
        let (entry, link) = if item.get("preprint_doi").is_some() {
            pubs_item(item)
        } else {
            details_item(item)
        };
        if let Some(e) = entry {
            entries.push(e);
        }
        if let Some(l) = link
            && !links.contains(&l)
        {
            links.push(l);
        }
    }
    Ok(BiorxivPage {
        feed: ParsedFeed {
            feed: FeedInfo {
                title: None,
                link: None,
                format: Format::Biorxiv,
                ttl_minutes: None,
            },
            entries,
        },
        links,
        status: text_at(msg, "status"),
        cursor: u64_at(msg, "cursor"),
        count: u64_at(msg, "count"),
        total: u64_at(msg, "total"),
        items: collection.len(),
    })
}

/// "medrxiv" → "medRxiv"; unknown names are kept as sent.
fn server_name(s: &str) -> String {
    match s.to_ascii_lowercase().as_str() {
        "medrxiv" => "medRxiv".into(),
        "biorxiv" => "bioRxiv".into(),
        _ => s.to_string(),
    }
}

fn published_link(from: Option<&String>, to: Option<String>) -> Option<WorkLink> {
    let from = from?.clone();
    let to = to.filter(|t| !t.eq_ignore_ascii_case("NA"))?;
    let to = normalize_doi(&to)?;
    (to != from).then(|| WorkLink {
        rel: "published-as".into(),
        from_doi: from,
        to_doi: to,
    })
}

/// The fields both endpoints describe a preprint with, under different names.
struct Preprint {
    doi: Option<String>,
    version: Option<String>,
    server: Option<String>,
    title: Option<String>,
    authors: Option<String>,
    date: Option<String>,
    category: Option<String>,
    abstract_text: Option<String>,
}

fn preprint(p: Preprint) -> Option<RawEntry> {
    let Preprint {
        doi,
        version,
        server,
        title,
        authors,
        date,
        category,
        abstract_text,
    } = p;
    let doi = doi?;
    let server = server.map(|s| server_name(&s));
    let site = server
        .as_deref()
        .map(str::to_ascii_lowercase)
        .filter(|s| s == "medrxiv" || s == "biorxiv")
        .unwrap_or_else(|| "biorxiv".into());
    let version_num = version.as_deref().and_then(|v| v.parse::<u32>().ok());
    let mut e = RawEntry {
        guid: Some(doi.clone()),
        link: Some(match version_num {
            Some(v) => format!("https://www.{site}.org/content/{doi}v{v}"),
            None => format!("https://www.{site}.org/content/{doi}"),
        }),
        title: title.and_then(|t| non_empty(clean_inline(&t))),
        summary: abstract_text.and_then(|a| non_empty(html_to_text(&a))),
        doi: Some(doi),
        journal: server,
        ..RawEntry::default()
    };
    if let Some(a) = authors {
        split_authors(&a, &mut e.authors);
    }
    let date = date.and_then(|d| parse_date(&d));
    e.published = date;
    if version_num.is_some_and(|v| v > 1) {
        e.updated = date;
    }
    e.categories.push("type:preprint".into());
    if let Some(c) = category.map(|c| clean_inline(&c)).and_then(non_empty) {
        e.categories.push(c);
    }
    finish_entry(&mut e);
    Some(e)
}

fn details_item(it: &Value) -> (Option<RawEntry>, Option<WorkLink>) {
    let doi = text_at(it, "doi").and_then(|d| normalize_doi(&d));
    let link = published_link(doi.as_ref(), text_at(it, "published"));
    let entry = preprint(Preprint {
        doi,
        version: text_at(it, "version"),
        server: text_at(it, "server"),
        title: text_at(it, "title"),
        authors: text_at(it, "authors"),
        date: text_at(it, "date"),
        category: text_at(it, "category"),
        abstract_text: text_at(it, "abstract"),
    });
    (entry, link)
}

fn pubs_item(it: &Value) -> (Option<RawEntry>, Option<WorkLink>) {
    let doi = text_at(it, "preprint_doi").and_then(|d| normalize_doi(&d));
    let link = published_link(doi.as_ref(), text_at(it, "published_doi"));
    let entry = preprint(Preprint {
        doi,
        version: None,
        server: text_at(it, "preprint_platform").or_else(|| text_at(it, "server")),
        title: text_at(it, "preprint_title"),
        authors: text_at(it, "preprint_authors"),
        date: text_at(it, "preprint_date"),
        category: text_at(it, "preprint_category"),
        abstract_text: text_at(it, "preprint_abstract"),
    });
    (entry, link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_page() {
        let json = r#"{"messages":[{"status":"ok","interval":"2024-01-01:2024-01-31","cursor":"100","count":2,"total":"250"}],
          "collection":[
            {"doi":"10.1101/2024.01.05.24300123","title":"Ketamine in TRD","authors":"Smith, J.; Doe, A. B.","date":"2024-01-08","version":"2","type":"new results","category":"psychiatry and clinical psychology","abstract":"We <b>tested</b>.","published":"10.1016/J.JAD.2024.05.001","server":"medrxiv"},
            {"doi":"10.64898/2026.01.02.26300001","title":"Other","authors":"Lee, K.","date":"2026-01-02","version":"1","category":"psychiatry","abstract":"x","published":"NA","server":"medRxiv"}]}"#;
        let p = parse_page(json, "t").unwrap();
        assert_eq!(
            (p.cursor, p.count, p.total),
            (Some(100), Some(2), Some(250))
        );
        assert_eq!(p.feed.entries.len(), 2);
        let e = &p.feed.entries[0];
        assert_eq!(e.authors, ["Smith, J.", "Doe, A. B."]);
        assert_eq!(e.journal.as_deref(), Some("medRxiv"));
        assert_eq!(
            e.link.as_deref(),
            Some("https://www.medrxiv.org/content/10.1101/2024.01.05.24300123v2")
        );
        assert!(e.updated.is_some());
        assert_eq!(e.summary.as_deref(), Some("We tested."));
        assert_eq!(
            p.feed.entries[1].doi.as_deref(),
            Some("10.64898/2026.01.02.26300001")
        );
        assert_eq!(
            p.links,
            [WorkLink {
                rel: "published-as".into(),
                from_doi: "10.1101/2024.01.05.24300123".into(),
                to_doi: "10.1016/j.jad.2024.05.001".into()
            }]
        );
    }

    #[test]
    fn no_posts_found_is_empty() {
        let p = parse_page(
            r#"{"messages":[{"status":"no posts found"}],"collection":[]}"#,
            "t",
        )
        .unwrap();
        assert!(p.feed.entries.is_empty());
        assert_eq!(p.status.as_deref(), Some("no posts found"));
    }
}
