//! Identity: the key of a sighting within its feed, and the fingerprint that tells an
//! updated sighting from an unchanged one. (Cross-feed identity by DOI/PMID/PMCID/NCT
//! lives in the store, where the existing works are.)

use sha2::{Digest, Sha256};

use crate::model::RawEntry;

/// The key of an entry within one feed: its guid, else its link, else a stable hash
/// of title and date, so a second pass over the same feed never duplicates.
pub fn source_key(e: &RawEntry) -> String {
    if let Some(g) = e.guid.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        return g.to_string();
    }
    if let Some(l) = e.link.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        return l.to_string();
    }
    let mut h = Sha256::new();
    h.update(
        e.title
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_lowercase()
            .as_bytes(),
    );
    h.update([0x1f]);
    if let Some(p) = e.published {
        h.update(p.timestamp().to_le_bytes());
    }
    format!("sha256:{}", hex(&h.finalize()[..16]))
}

/// A fingerprint of everything ketlit keeps from a sighting.
pub fn content_hash(e: &RawEntry) -> String {
    let mut h = Sha256::new();
    let mut field = |s: Option<&str>| {
        h.update(s.unwrap_or("").as_bytes());
        h.update([0x1f]);
    };
    field(e.title.as_deref());
    field(e.link.as_deref());
    field(e.summary.as_deref());
    field(e.doi.as_deref());
    field(e.pmid.as_deref());
    field(e.pmcid.as_deref());
    field(e.nct_id.as_deref());
    field(e.journal.as_deref());
    for list in [&e.authors, &e.categories, &e.mesh, &e.publication_types] {
        for s in list {
            field(Some(s));
        }
        field(Some("\u{1e}"));
    }
    let dates = [e.published, e.updated].map(|d| d.map_or(0, |d| d.timestamp()));
    h.update(dates[0].to_le_bytes());
    h.update(dates[1].to_le_bytes());
    hex(&h.finalize()[..16])
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_prefers_guid_then_link_then_hash() {
        let mut e = RawEntry {
            guid: Some(" g1 ".into()),
            link: Some("https://x/1".into()),
            title: Some("T".into()),
            ..Default::default()
        };
        assert_eq!(source_key(&e), "g1");
        e.guid = Some("  ".into());
        assert_eq!(source_key(&e), "https://x/1");
        e.link = None;
        let k = source_key(&e);
        assert!(k.starts_with("sha256:"));
        assert_eq!(k, source_key(&e.clone()), "stable");
        e.title = Some("Other".into());
        assert_ne!(k, source_key(&e));
    }

    #[test]
    fn content_hash_changes_with_content() {
        let e = RawEntry {
            title: Some("A".into()),
            ..Default::default()
        };
        let mut f = e.clone();
        assert_eq!(content_hash(&e), content_hash(&f));
        f.summary = Some("abstract".into());
        assert_ne!(content_hash(&e), content_hash(&f));
        let mut g = e.clone();
        g.authors = vec!["A".into(), "B".into()];
        let mut h = e.clone();
        h.authors = vec!["AB".into()];
        assert_ne!(content_hash(&g), content_hash(&h));
    }
}
