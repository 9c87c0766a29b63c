//! API literature sources (PubMed, Europe PMC, bioRxiv/medRxiv, ClinicalTrials.gov, arXiv): paging drivers over a date window, resumable.

/// A link between two works learnt from a source, e.g. a preprint and the
/// journal article it became.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct WorkLink {
    /// `"published-as"`: `from_doi` (preprint) was published as `to_doi`.
    pub rel: String,
    pub from_doi: String,
    pub to_doi: String,
}
