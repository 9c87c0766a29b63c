//! Europe PMC REST `search` JSON (`resultType=core` and `lite`) mapped to `RawEntry` values.
//!
//! Conventions (documented for users):
//! - `guid` is `europepmc:{source}/{id}` (e.g. `europepmc:MED/39709209`), `link`
//!   the Europe PMC article page.
//! - Preprints (`source` `PPR`) get the category `type:preprint`; their
//!   `journal` is the preprint server (`bookOrReportDetails.publisher`).
//! - `mesh` marks major topics with a trailing `*`, as the PubMed parser does.
//! - `published` is `firstPublicationDate`, else `firstIndexDate`.
//! - `commentCorrectionList` gives `notices` as PubMed's `CommentsCorrections` do.
//! - Section headings in `abstractText` (`<h4>Objective</h4>`) read "Objective: …".

use serde_json::Value;

use super::json::{items, parse_json, strings_at, text_at, u64_at};
use super::pubmed::notices;
use super::{ParseError, finish_entry, non_empty};
use crate::model::{FeedInfo, Format, Notice, ParsedFeed, RawEntry};
use crate::normalize::dates::parse_date;
use crate::normalize::ids::{normalize_doi, normalize_pmcid, normalize_pmid};
use crate::normalize::text::{clean_inline, html_to_text};

/// One page of a Europe PMC search.
#[derive(Debug, Clone, PartialEq)]
pub struct EuropePmcPage {
    pub feed: ParsedFeed,
    pub hit_count: Option<u64>,
    /// Absent on the last page (and on zero hits).
    pub next_cursor_mark: Option<String>,
}

pub fn parse(text: &str, origin: &str) -> Result<ParsedFeed, ParseError> {
    parse_page(text, origin).map(|p| p.feed)
}

/// Parses one search response page.
pub fn parse_page(text: &str, origin: &str) -> Result<EuropePmcPage, ParseError> {
    let doc = parse_json(text, origin, "Europe PMC")?;
    if !doc.is_object() {
        return Err(ParseError::NotAFeed {
            origin: origin.to_string(),
            what: "JSON that is not an object".into(),
        });
    }
    if let Some(msg) = text_at(&doc, "errMsg").or_else(|| text_at(&doc, "errCode")) {
        return Err(ParseError::invalid(
            origin,
            format!("Europe PMC error: {msg}"),
        ));
    }
    let Some(list) = doc.get("resultList") else {
        return Err(ParseError::NotAFeed {
            origin: origin.to_string(),
            what: "JSON without resultList (not a Europe PMC search response)".into(),
        });
    };
    let entries = items(list, "result").iter().map(entry).collect();
    Ok(EuropePmcPage {
        feed: ParsedFeed {
            feed: FeedInfo {
                title: doc
                    .get("request")
                    .and_then(|r| text_at(r, "queryString"))
                    .map(|q| format!("Europe PMC: {q}")),
                link: None,
                format: Format::EuropePmc,
                ttl_minutes: None,
            },
            entries,
        },
        hit_count: u64_at(&doc, "hitCount"),
        next_cursor_mark: text_at(&doc, "nextCursorMark"),
    })
}

/// `commentCorrectionList` relations (`"type": "Retraction in"`, `"id"` the other
/// record's PMID when its `source` is `MED`) and a "Retracted Publication" type.
fn record_notices(r: &Value, types: &[String]) -> Vec<Notice> {
    let mut out = Vec::new();
    for c in r
        .get("commentCorrectionList")
        .map(|l| items(l, "commentCorrection"))
        .unwrap_or_default()
    {
        let Some(kind) = text_at(c, "type") else {
            continue;
        };
        let pmid = text_at(c, "id").filter(|_| text_at(c, "source").as_deref() == Some("MED"));
        let citation = text_at(c, "reference").map(|t| clean_inline(&t));
        if let Some(n) = notices::notice(&kind, pmid.as_deref(), citation) {
            notices::push(&mut out, n);
        }
    }
    if let Some(n) = notices::from_publication_types(types) {
        notices::push(&mut out, n);
    }
    out
}

fn entry(r: &Value) -> RawEntry {
    let mut e = RawEntry::default();
    let source = text_at(r, "source");
    let id = text_at(r, "id");
    if let (Some(s), Some(i)) = (&source, &id) {
        e.guid = Some(format!("europepmc:{s}/{i}"));
        e.link = Some(format!("https://europepmc.org/article/{s}/{i}"));
    }
    e.pmid = text_at(r, "pmid").and_then(|p| normalize_pmid(&p));
    e.pmcid = text_at(r, "pmcid").and_then(|p| normalize_pmcid(&p));
    e.doi = text_at(r, "doi").and_then(|d| normalize_doi(&d));
    e.title = text_at(r, "title").and_then(|t| non_empty(clean_inline(&t)));
    e.summary = text_at(r, "abstractText").and_then(|a| {
        // Headings become "Objective: " like PubMed's labelled sections.
        let a = a.replace("</h4>", ":</h4>").replace("</h3>", ":</h3>");
        non_empty(html_to_text(&a).replace(":: ", ": "))
    });
    for a in r
        .get("authorList")
        .map(|l| items(l, "author"))
        .unwrap_or_default()
    {
        let name = text_at(a, "fullName")
            .or_else(|| text_at(a, "collectiveName"))
            .map(|n| clean_inline(&n));
        // Repeats are dropped once, in linear time, by normalize::entry::finish.
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            e.authors.push(n);
        }
    }
    if e.authors.is_empty()
        && let Some(s) = text_at(r, "authorString")
    {
        // "Schoenfeld JD, Haas-Kogan DA, O'Neill AF." — always "Last Initials".
        for n in s.trim_end_matches('.').split(", ") {
            let n = clean_inline(n);
            if !n.is_empty() {
                e.authors.push(n);
            }
        }
    }
    e.journal = r
        .get("journalInfo")
        .and_then(|j| j.get("journal"))
        .and_then(|j| text_at(j, "title").or_else(|| text_at(j, "isoabbreviation")))
        .or_else(|| text_at(r, "journalTitle"))
        .or_else(|| {
            r.get("bookOrReportDetails")
                .and_then(|b| text_at(b, "publisher"))
        })
        .map(|j| clean_inline(&j));
    e.published = text_at(r, "firstPublicationDate")
        .or_else(|| text_at(r, "firstIndexDate"))
        .and_then(|d| parse_date(&d));
    e.publication_types = match r.get("pubTypeList") {
        Some(l) => strings_at(l, "pubType"),
        None => strings_at(r, "pubType"),
    };
    e.notices = record_notices(r, &e.publication_types);
    for h in r
        .get("meshHeadingList")
        .map(|l| items(l, "meshHeading"))
        .unwrap_or_default()
    {
        let Some(name) = text_at(h, "descriptorName") else {
            continue;
        };
        let major = |v: &Value| text_at(v, "majorTopic_YN").as_deref() == Some("Y");
        let qualifier_major = h
            .get("meshQualifierList")
            .map(|q| items(q, "meshQualifier").iter().any(major))
            .unwrap_or(false);
        let m = if major(h) || qualifier_major {
            format!("{name}*")
        } else {
            name
        };
        e.mesh.push(m);
    }
    if let Some(k) = r.get("keywordList") {
        e.categories.extend(strings_at(k, "keyword"));
    }
    if source.as_deref() == Some("PPR") {
        e.categories.push("type:preprint".into());
    }
    finish_entry(&mut e);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_record() {
        let json = r#"{"hitCount":1,"nextCursorMark":"AoE","resultList":{"result":[
          {"id":"PPR1","source":"PPR","doi":"10.1101/2024.01.01.24300001","title":"Ketamine &amp; <i>mood</i>",
           "authorString":"Doe J, Roe R.","abstractText":"<h4>Background</h4>Text here.<h4>Methods:</h4>More.",
           "bookOrReportDetails":{"publisher":"medRxiv"},"pubTypeList":{"pubType":"preprint"},
           "meshHeadingList":{"meshHeading":[{"descriptorName":"Ketamine","majorTopic_YN":"N",
             "meshQualifierList":{"meshQualifier":[{"qualifierName":"tu","majorTopic_YN":"Y"}]}}]},
           "firstIndexDate":"2024-01-03","pmid":12345}]}}"#;
        let p = parse_page(json, "t").unwrap();
        assert_eq!(p.hit_count, Some(1));
        assert_eq!(p.next_cursor_mark.as_deref(), Some("AoE"));
        let e = &p.feed.entries[0];
        assert_eq!(e.title.as_deref(), Some("Ketamine & mood"));
        assert_eq!(
            e.summary.as_deref(),
            Some("Background: Text here. Methods: More.")
        );
        assert_eq!(e.authors, ["Doe J", "Roe R"]);
        assert_eq!(e.journal.as_deref(), Some("medRxiv"));
        assert_eq!(e.mesh, ["Ketamine*"]);
        assert_eq!(e.publication_types, ["preprint"]);
        assert_eq!(e.categories, ["type:preprint"]);
        assert_eq!(e.pmid.as_deref(), Some("12345"));
        assert_eq!(e.guid.as_deref(), Some("europepmc:PPR/PPR1"));
        assert!(e.published.is_some());
    }

    #[test]
    fn not_a_search_response() {
        assert!(parse("{\"items\":[]}", "t").is_err());
        assert!(parse("[1]", "t").is_err());
        let err = parse("{\"resultList\": {", "t").unwrap_err();
        assert_eq!(err.line(), Some(1));
    }

    #[test]
    fn comment_corrections_become_notices() {
        use crate::model::{NoticeKind, NoticeTarget};
        // The real page carries two published errata, each "Erratum for" its article.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/real/europepmc/search_cancer_core.json"
        );
        let feed = parse(&std::fs::read_to_string(path).unwrap(), "t").unwrap();
        let errata: Vec<&RawEntry> = feed
            .entries
            .iter()
            .filter(|e| !e.notices.is_empty())
            .collect();
        assert_eq!(errata.len(), 2);
        let n = &errata[0].notices[0];
        assert_eq!(
            (n.kind, n.applies_to),
            (NoticeKind::Corrected, NoticeTarget::Related)
        );
        assert_eq!(n.ref_type, "Erratum for");
        assert_eq!(n.pmid.as_deref(), Some("39293462"));
        assert!(
            n.citation
                .as_deref()
                .unwrap()
                .starts_with("Lancet. 2024 Sep 28")
        );

        let json = r#"{"resultList":{"result":[{"id":"1","source":"MED","pmid":"1",
          "pubTypeList":{"pubType":["Journal Article","Retracted Publication"]},
          "commentCorrectionList":{"commentCorrection":[
            {"id":"2","source":"MED","reference":"X. 2025","type":"Retraction in"},
            {"id":"PPR9","source":"PPR","type":"Comment in"}]}}]}}"#;
        let e = &parse(json, "t").unwrap().entries[0];
        let got: Vec<_> = e
            .notices
            .iter()
            .map(|n| (n.kind, n.applies_to, n.pmid.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (NoticeKind::Retracted, NoticeTarget::This, Some("2")),
                (NoticeKind::Retracted, NoticeTarget::This, None)
            ]
        );
    }
}
