//! JSON Feed 1.0 and 1.1 documents (serde) mapped to `RawEntry` values.

use serde::Deserialize;
use serde_json::Value;

use super::{ParseError, finish_entry, fuller, non_empty, split_authors};
use crate::model::{FeedInfo, Format, ParsedFeed, RawEntry};
use crate::normalize::dates::parse_date;
use crate::normalize::ids::find_doi_in;
use crate::normalize::text::{clean_inline, collapse_ws, html_to_text};

const VERSION_PREFIX: &str = "https://jsonfeed.org/version/";

#[derive(Deserialize)]
struct Doc {
    version: Option<String>,
    title: Option<String>,
    home_page_url: Option<String>,
    #[serde(default)]
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    /// Strings per spec; numbers seen in the wild.
    id: Option<Value>,
    url: Option<String>,
    external_url: Option<String>,
    title: Option<String>,
    content_html: Option<String>,
    content_text: Option<String>,
    summary: Option<String>,
    date_published: Option<String>,
    date_modified: Option<String>,
    /// 1.1
    #[serde(default)]
    authors: Vec<Author>,
    /// 1.0
    author: Option<Author>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct Author {
    name: Option<String>,
}

pub(crate) fn parse(text: &str, origin: &str) -> Result<ParsedFeed, ParseError> {
    let doc: Doc = serde_json::from_str(text).map_err(|e| {
        // serde_json appends " at line L column C"; the line goes in front instead.
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        ParseError::syntax(
            origin,
            e.line().max(1),
            format!("invalid JSON Feed: {msg} (column {})", e.column()),
        )
    })?;
    match doc.version.as_deref() {
        Some(v) if v.starts_with(VERSION_PREFIX) => {}
        _ => {
            return Err(ParseError::NotAFeed {
                origin: origin.to_string(),
                what: "JSON document without a https://jsonfeed.org/version/ version".into(),
            });
        }
    }
    let entries = doc.items.into_iter().map(entry).collect();
    Ok(ParsedFeed {
        feed: FeedInfo {
            title: doc.title.as_deref().map(clean_inline).and_then(non_empty),
            link: doc.home_page_url.filter(|u| !u.trim().is_empty()),
            format: Format::JsonFeed,
            ttl_minutes: None,
        },
        entries,
    })
}

fn entry(it: Item) -> RawEntry {
    let guid = match it.id {
        Some(Value::String(s)) => non_empty(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    // external_url often is the article itself (a DOI link) while url is the post.
    let external_doi = it.external_url.as_deref().and_then(find_doi_in);
    let mut e = RawEntry {
        guid,
        doi: external_doi,
        title: it.title.as_deref().map(clean_inline).and_then(non_empty),
        link: it.url.or(it.external_url).filter(|u| !u.trim().is_empty()),
        published: it.date_published.as_deref().and_then(parse_date),
        updated: it.date_modified.as_deref().and_then(parse_date),
        ..RawEntry::default()
    };
    let content = it
        .content_html
        .as_deref()
        .map(html_to_text)
        .and_then(non_empty)
        .or_else(|| {
            it.content_text
                .as_deref()
                .map(collapse_ws)
                .and_then(non_empty)
        });
    let summary = it.summary.as_deref().map(html_to_text).and_then(non_empty);
    e.summary = fuller(content, summary);
    for a in it.authors.iter().chain(it.author.iter()) {
        if let Some(n) = &a.name {
            split_authors(n, &mut e.authors);
        }
    }
    e.categories = it
        .tags
        .iter()
        .map(|t| clean_inline(t))
        .filter(|t| !t.is_empty())
        .collect();
    finish_entry(&mut e);
    e
}
