//! The public data types of the tagger: its input view of an entry, its output, and its errors.

use serde::Serialize;
use std::sync::Arc;

use crate::model::RawEntry;

/// The condition tags, in the order they are reported.
pub const CONDITION_TAGS: [&str; 8] = [
    "trd",
    "ptsd",
    "ocd",
    "anxiety",
    "depression",
    "bipolar",
    "suicidality",
    "substance-use",
];

/// What the tagger reads of an entry. Borrowed so that classifying never copies the text.
#[derive(Debug, Clone, Copy)]
pub struct TagInput<'a> {
    pub title: &'a str,
    pub abstract_: &'a str,
    pub mesh: &'a [String],
    pub keywords: &'a [String],
    pub publication_types: &'a [String],
    /// ClinicalTrials.gov conditions: the registered indication.
    pub conditions: &'a [String],
}

impl<'a> TagInput<'a> {
    /// Feeds carry author keywords and journal sections in `categories`; the summary is the abstract.
    pub fn from_entry(e: &'a RawEntry) -> Self {
        TagInput {
            title: e.title.as_deref().unwrap_or(""),
            abstract_: e.summary.as_deref().unwrap_or(""),
            mesh: &e.mesh,
            keywords: &e.categories,
            publication_types: &e.publication_types,
            conditions: &[],
        }
    }
}

/// Which part of the entry a piece of evidence came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    Title,
    Abstract,
    Mesh,
    Keywords,
    PublicationTypes,
    Conditions,
}

impl FieldKind {
    pub const ALL: [FieldKind; 6] = [
        FieldKind::Title,
        FieldKind::Abstract,
        FieldKind::Mesh,
        FieldKind::Keywords,
        FieldKind::PublicationTypes,
        FieldKind::Conditions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Title => "title",
            FieldKind::Abstract => "abstract",
            FieldKind::Mesh => "mesh",
            FieldKind::Keywords => "keywords",
            FieldKind::PublicationTypes => "publication_types",
            FieldKind::Conditions => "conditions",
        }
    }

    pub fn from_name(s: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Where a tag came from, precise enough for `ketlit show` to highlight it.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Evidence {
    /// "title" | "abstract" | "mesh" | "keywords" | "publication_types" | "conditions"
    pub field: &'static str,
    /// The matched text as it appears in the field.
    pub phrase: String,
    /// Byte offsets into the field's text (for list fields: into the matched item).
    pub span: [usize; 2],
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Tag {
    /// Shared with the compiled rules: an entry's tags cost no copies of their names.
    pub tag: Arc<str>,
    pub evidence: Evidence,
}

/// The verdict on one entry.
#[derive(Serialize, Clone, Debug, PartialEq, Default)]
pub struct Classification {
    pub relevant: bool,
    /// The strongest mention of a studied ketamine-class drug.
    pub relevance: Option<Evidence>,
    /// Condition tags, then `drug:` tags, then `type:` tags; each once, with its strongest evidence.
    pub tags: Vec<Tag>,
}

impl Classification {
    /// The condition tags alone, as `ketlit classify` reports them.
    pub fn condition_tags(&self) -> Vec<&str> {
        self.tags
            .iter()
            .map(|t| &*t.tag)
            .filter(|t| !t.starts_with("drug:") && !t.starts_with("type:"))
            .collect()
    }

    pub fn has(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| &*t.tag == tag)
    }
}

/// A rule file that cannot be used. Displays as one line: `origin: line N: key `k`: message`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{origin}: line {line}: key `{key}`: {message}")]
pub struct RulesError {
    pub origin: String,
    pub line: usize,
    pub key: String,
    pub message: String,
}
