//! Atom 1.0 documents for `serve`: stable `urn:ketlit:entry:ID` ids, the entry's link
//! and its DOI, PubMed and registry links, the abstract as summary, tags as categories.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::store::EntryDetail;

/// What a feed is about, for its id, title and links.
pub struct FeedMeta {
    /// `urn:ketlit:feed:…`
    pub id: String,
    pub title: String,
    /// Absolute URL of this document.
    pub self_url: String,
    /// Absolute URL of the HTML page showing the same entries.
    pub html_url: String,
}

/// Escapes text for XML content and attributes, dropping characters XML 1.0 forbids
/// (stray control bytes from a feed must not make the whole document unreadable).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// When an entry last changed as far as a reader cares: its source's update stamp or
/// when ketlit first saw it, whichever is later (so a new old paper still looks new).
pub fn entry_updated(d: &EntryDetail) -> DateTime<Utc> {
    [d.updated, d.first_seen, d.summary.published]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// The newest `entry_updated` of `entries`: the feed's `updated` and Last-Modified.
pub fn feed_updated(entries: &[EntryDetail]) -> DateTime<Utc> {
    entries
        .iter()
        .map(entry_updated)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

pub fn feed(meta: &FeedMeta, entries: &[EntryDetail]) -> String {
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    x.push_str(&format!("  <id>{}</id>\n", esc(&meta.id)));
    x.push_str(&format!("  <title>{}</title>\n", esc(&meta.title)));
    x.push_str(&format!(
        "  <updated>{}</updated>\n",
        rfc3339(feed_updated(entries))
    ));
    x.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        esc(&meta.self_url)
    ));
    x.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        esc(&meta.html_url)
    ));
    // Entries without authors are valid only under a feed-level author.
    x.push_str("  <author><name>ketlit</name></author>\n");
    x.push_str(&format!(
        "  <generator version=\"{}\">ketlit</generator>\n",
        env!("CARGO_PKG_VERSION")
    ));
    for d in entries {
        entry(&mut x, d);
    }
    x.push_str("</feed>\n");
    x
}

fn entry(x: &mut String, d: &EntryDetail) {
    let s = &d.summary;
    x.push_str("  <entry>\n");
    x.push_str(&format!("    <id>urn:ketlit:entry:{}</id>\n", s.id));
    let title = if s.title.trim().is_empty() {
        "(untitled)"
    } else {
        s.title.trim()
    };
    x.push_str(&format!(
        "    <title type=\"text\">{}</title>\n",
        esc(title)
    ));
    x.push_str(&format!(
        "    <updated>{}</updated>\n",
        rfc3339(entry_updated(d))
    ));
    if let Some(p) = s.published {
        x.push_str(&format!("    <published>{}</published>\n", rfc3339(p)));
    }
    for a in &d.authors {
        x.push_str(&format!("    <author><name>{}</name></author>\n", esc(a)));
    }
    let doi_url = s.doi.as_ref().map(|d| format!("https://doi.org/{d}"));
    let alternate = s.link.clone().or_else(|| doi_url.clone());
    if let Some(l) = &alternate {
        x.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            esc(l)
        ));
    }
    let mut related = Vec::new();
    if let Some(u) = doi_url.filter(|u| Some(u) != alternate.as_ref()) {
        related.push((u, "DOI"));
    }
    if let Some(p) = &s.pmid {
        related.push((format!("https://pubmed.ncbi.nlm.nih.gov/{p}/"), "PubMed"));
    }
    if let Some(p) = &s.pmcid {
        related.push((format!("https://pmc.ncbi.nlm.nih.gov/articles/{p}/"), "PMC"));
    }
    if let Some(n) = &s.nct_id {
        related.push((
            format!("https://clinicaltrials.gov/study/{n}"),
            "ClinicalTrials.gov",
        ));
    }
    for (href, title) in related {
        x.push_str(&format!(
            "    <link rel=\"related\" type=\"text/html\" href=\"{}\" title=\"{title}\"/>\n",
            esc(&href)
        ));
    }
    for t in &s.tags {
        x.push_str(&format!(
            "    <category term=\"{}\" scheme=\"urn:ketlit:tags\"/>\n",
            esc(t)
        ));
    }
    if let Some(a) = &d.abstract_ {
        x.push_str(&format!(
            "    <summary type=\"text\">{}</summary>\n",
            esc(a)
        ));
    }
    // Atom needs content when there is no alternate link.
    if alternate.is_none() {
        let about = s.journal.clone().unwrap_or_else(|| s.title.clone());
        x.push_str(&format!(
            "    <content type=\"text\">{}</content>\n",
            esc(&about)
        ));
    }
    x.push_str("  </entry>\n");
}
