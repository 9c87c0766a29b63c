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

    /// The literature APIs, fetched page by page over a date window rather than as
    /// one document.
    pub fn is_api(self) -> bool {
        matches!(
            self,
            Kind::Pubmed | Kind::EuropePmc | Kind::Biorxiv | Kind::Ctgov | Kind::Arxiv
        )
    }

    /// The format an API kind's responses have.
    pub fn api_format(self) -> Option<Format> {
        Some(match self {
            Kind::Pubmed => Format::Pubmed,
            Kind::EuropePmc => Format::EuropePmc,
            Kind::Biorxiv => Format::Biorxiv,
            Kind::Ctgov => Format::Ctgov,
            Kind::Arxiv => Format::Arxiv,
            _ => return None,
        })
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
    /// The entry's full content (`content:encoded`, Atom `<content>`) as plain text, when
    /// the document gives one besides or instead of its summary. Shown by `ketlit parse`
    /// only when present; the pipeline keeps the fuller of it and the summary as the abstract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
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
    /// Retraction, correction, concern and update notices the record carries, in
    /// either direction (see [`Notice`]). Left out of JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<Notice>,
}

/// What a notice says happened to a work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    Retracted,
    PartiallyRetracted,
    /// An erratum, or corrected and republished.
    Corrected,
    ExpressionOfConcern,
    /// A newer version (PubMed `UpdateIn`/`UpdateOf`, e.g. an updated review).
    Updated,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Retracted => "retracted",
            NoticeKind::PartiallyRetracted => "partially-retracted",
            NoticeKind::Corrected => "corrected",
            NoticeKind::ExpressionOfConcern => "expression-of-concern",
            NoticeKind::Updated => "updated",
        }
    }
}

/// Which work a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeTarget {
    /// The entry itself (PubMed `RetractionIn`, type "Retracted Publication").
    This,
    /// The related work: the entry is the notice (`RetractionOf`, `ErratumFor`).
    Related,
}

/// One notice from a record, e.g. PubMed's
/// `<CommentsCorrections RefType="RetractionIn">` with the notice's PMID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub applies_to: NoticeTarget,
    /// As the source names it: `RetractionIn`, `Erratum for`, `Retracted Publication`.
    pub ref_type: String,
    /// The related work's PMID (the notice's, or the original's).
    pub pmid: Option<String>,
    /// The related work's citation as the source gives it (`RefSource`).
    pub citation: Option<String>,
}

impl RawEntry {
    /// Folds the full content into the summary when it is the fuller text: the
    /// abstract that is filtered, tagged and stored.
    pub fn fold_content(mut self) -> RawEntry {
        if let Some(c) = self.content.take()
            && self.summary.as_ref().is_none_or(|s| c.len() > s.len())
        {
            self.summary = Some(c);
        }
        self
    }
}

/// A whole parsed document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedFeed {
    pub feed: FeedInfo,
    pub entries: Vec<RawEntry>,
}

/// A link between two works learnt from a source, e.g. a preprint and the
/// journal article it became.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct WorkLink {
    /// `"published-as"`: `from_doi` (preprint) was published as `to_doi`.
    pub rel: String,
    pub from_doi: String,
    pub to_doi: String,
}
