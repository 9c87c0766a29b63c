//! The normalised feed and entry types that every parser produces and everything downstream consumes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a feed is declared as in config (`kind`). `Auto` sniffs RSS, Atom and JSON Feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Auto,
    Rss,
    Atom,
    Rdf,
    JsonFeed,
    Pubmed,
    EuropePmc,
    Biorxiv,
    Ctgov,
    Arxiv,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Auto,
        Kind::Rss,
        Kind::Atom,
        Kind::Rdf,
        Kind::JsonFeed,
        Kind::Pubmed,
        Kind::EuropePmc,
        Kind::Biorxiv,
        Kind::Ctgov,
        Kind::Arxiv,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Auto => "auto",
            Kind::Rss => "rss",
            Kind::Atom => "atom",
            Kind::Rdf => "rdf",
            Kind::JsonFeed => "jsonfeed",
            Kind::Pubmed => "pubmed",
            Kind::EuropePmc => "europepmc",
            Kind::Biorxiv => "biorxiv",
            Kind::Ctgov => "ctgov",
            Kind::Arxiv => "arxiv",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The concrete document format a parser recognised (the `format` field of `ketlit parse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Rss090,
    Rss091,
    Rss092,
    Rss1,
    Rss2,
    Atom03,
    Atom10,
    JsonFeed,
    Pubmed,
    EuropePmc,
    Biorxiv,
    Ctgov,
    Arxiv,
}

/// Feed-level metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedInfo {
    pub title: Option<String>,
    pub link: Option<String>,
    pub format: Format,
    /// RSS `<ttl>` in minutes: a lower bound on how often the feed may be polled.
    #[serde(skip)]
    pub ttl_minutes: Option<u32>,
}

/// One entry as a parser saw it, already normalised: plain-text title and summary,
/// UTC dates, canonical identifiers (DOI lower-cased without URL prefix, PMID digits,
/// PMCID as `PMC…`, NCT id upper-case).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RawEntry {
    pub guid: Option<String>,
    pub title: Option<String>,
    pub link: Option<String>,
    pub summary: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub authors: Vec<String>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub pmcid: Option<String>,
    pub nct_id: Option<String>,
    pub journal: Option<String>,
    pub categories: Vec<String>,
    pub mesh: Vec<String>,
    pub publication_types: Vec<String>,
}

/// A whole parsed document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedFeed {
    pub feed: FeedInfo,
    pub entries: Vec<RawEntry>,
}
