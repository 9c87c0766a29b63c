//! Normalisation helpers shared by every parser: text, identifiers, dates, and the
//! last clean-up of a whole entry.

pub mod dates;
pub mod entry;
pub mod ids;
pub mod text;

pub use dates::parse_date;
pub use ids::{find_doi_in, find_nct_ids, normalize_doi, normalize_pmcid, normalize_pmid};
pub use text::{clean_inline, html_to_text};
