//! ClinicalTrials.gov API v2 JSON (`/api/v2/studies` lists and single studies) mapped to `RawEntry` values; the retired classic API format is refused.
//!
//! Conventions (documented for users):
//! - `guid` and `nct_id` are the NCT id; `link` is `https://clinicaltrials.gov/study/NCT…`;
//!   `journal` is "ClinicalTrials.gov"; `authors` are the overall officials.
//! - `title` is the brief title. `summary` is the brief summary followed by
//!   "Official title: …" when the official title says more than the brief one,
//!   so search and tagging see both.
//! - `published` is the first-posted date, `updated` the last-update-posted date.
//! - `categories`: `type:trial-registration`, `condition:<as registered>`,
//!   `intervention:<name>`, `phase:<API value, e.g. PHASE2, NA>`,
//!   `status:<overallStatus, e.g. RECRUITING>`, then the registry keywords.
//! - Reference PMIDs (`referencesModule`) are other works and are not used.

use serde_json::Value;

use super::json::{items, parse_json, strings_at, text_at, u64_at};
use super::{ParseError, finish_entry, non_empty};
use crate::model::{FeedInfo, Format, ParsedFeed, RawEntry};
use crate::normalize::dates::parse_date;
use crate::normalize::ids::find_nct_ids;
use crate::normalize::text::{clean_inline, html_to_text};

/// One page of `/api/v2/studies` (a single study reads as a page of one).
#[derive(Debug, Clone, PartialEq)]
pub struct CtgovPage {
    pub feed: ParsedFeed,
    /// Absent on the last page.
    pub next_page_token: Option<String>,
    /// Only sent when the request asked for `countTotal=true`.
    pub total_count: Option<u64>,
}

/// Top-level keys of the classic API (retired in 2024).
const CLASSIC_ROOTS: [&str; 4] = [
    "StudyFieldsResponse",
    "FullStudiesResponse",
    "FieldValuesResponse",
    "StudyStructure",
];

pub fn parse(text: &str, origin: &str) -> Result<ParsedFeed, ParseError> {
    parse_page(text, origin).map(|p| p.feed)
}

/// Whether a JSON object is a classic-API answer (checked by sniffing too).
pub(crate) fn classic_root(doc: &Value) -> Option<&'static str> {
    CLASSIC_ROOTS.into_iter().find(|k| doc.get(*k).is_some())
}

pub fn parse_page(text: &str, origin: &str) -> Result<CtgovPage, ParseError> {
    let doc = parse_json(text, origin, "ClinicalTrials.gov")?;
    if let Some(root) = classic_root(&doc) {
        return Err(ParseError::invalid(
            origin,
            format!(
                "retired classic ClinicalTrials.gov API format ({root}); use the v2 API /api/v2/studies"
            ),
        ));
    }
    let studies: Vec<&Value> = if doc.get("protocolSection").is_some() {
        vec![&doc]
    } else if let Some(list) = doc.get("studies") {
        match list {
            Value::Array(a) => a.iter().collect(),
            _ => {
                return Err(ParseError::invalid(origin, "\"studies\" is not an array"));
            }
        }
    } else {
        return Err(ParseError::NotAFeed {
            origin: origin.to_string(),
            what: "JSON without studies or protocolSection (not a ClinicalTrials.gov v2 response)"
                .into(),
        });
    };
    let entries = studies.into_iter().filter_map(study).collect();
    Ok(CtgovPage {
        feed: ParsedFeed {
            feed: FeedInfo {
                title: Some("ClinicalTrials.gov".into()),
                link: Some("https://clinicaltrials.gov/".into()),
                format: Format::Ctgov,
                ttl_minutes: None,
            },
            entries,
        },
        next_page_token: text_at(&doc, "nextPageToken"),
        total_count: u64_at(&doc, "totalCount"),
    })
}

fn module<'v>(p: &'v Value, name: &str) -> &'v Value {
    p.get(name).unwrap_or(&Value::Null)
}

/// A study without a usable NCT id is dropped: nothing could merge or link it.
fn study(s: &Value) -> Option<RawEntry> {
    let p = s.get("protocolSection")?;
    let ident = module(p, "identificationModule");
    let nct = text_at(ident, "nctId").and_then(|n| find_nct_ids(&n).into_iter().next())?;
    let mut e = RawEntry {
        guid: Some(nct.clone()),
        link: Some(format!("https://clinicaltrials.gov/study/{nct}")),
        nct_id: Some(nct),
        journal: Some("ClinicalTrials.gov".into()),
        ..RawEntry::default()
    };
    let brief = text_at(ident, "briefTitle").map(|t| clean_inline(&t));
    let official = text_at(ident, "officialTitle").map(|t| clean_inline(&t));
    e.title = brief.clone().or(official.clone()).and_then(non_empty);
    let desc = module(p, "descriptionModule");
    let summary = text_at(desc, "briefSummary").map(|t| html_to_text(&t));
    let official_extra = official.filter(|o| {
        !o.is_empty() && Some(o.to_lowercase()) != brief.as_ref().map(|b| b.to_lowercase())
    });
    e.summary = match (summary.and_then(non_empty), official_extra) {
        (Some(s), Some(o)) => Some(format!("{s} Official title: {o}")),
        (Some(s), None) => Some(s),
        (None, Some(o)) => Some(format!("Official title: {o}")),
        (None, None) => None,
    };
    let status = module(p, "statusModule");
    let date = |key: &str| {
        status
            .get(key)
            .and_then(|d| text_at(d, "date"))
            .and_then(|d| parse_date(&d))
    };
    e.published = date("studyFirstPostDateStruct");
    e.updated = date("lastUpdatePostDateStruct");
    for o in items(module(p, "contactsLocationsModule"), "overallOfficials") {
        if let Some(n) = text_at(o, "name").map(|n| clean_inline(&n))
            && !n.is_empty()
        {
            e.authors.push(n);
        }
    }
    e.categories.push("type:trial-registration".into());
    let cond = module(p, "conditionsModule");
    for c in strings_at(cond, "conditions") {
        e.categories.push(format!("condition:{c}"));
    }
    for i in items(module(p, "armsInterventionsModule"), "interventions") {
        if let Some(n) = text_at(i, "name").map(|n| clean_inline(&n))
            && !n.is_empty()
        {
            e.categories.push(format!("intervention:{n}"));
        }
    }
    for ph in strings_at(module(p, "designModule"), "phases") {
        e.categories.push(format!("phase:{ph}"));
    }
    if let Some(st) = text_at(status, "overallStatus") {
        e.categories.push(format!("status:{st}"));
    }
    e.categories.extend(strings_at(cond, "keywords"));
    finish_entry(&mut e);
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_is_refused_in_one_line() {
        let err = parse(
            r#"{"StudyFieldsResponse":{"APIVrs":"1.01.03"}}"#,
            "old.json",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("old.json: "), "{msg}");
        assert!(
            msg.contains("retired") && msg.contains("StudyFieldsResponse"),
            "{msg}"
        );
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn list_page() {
        let json = r#"{"studies":[{"protocolSection":{
            "identificationModule":{"nctId":"NCT01234567","briefTitle":"Esketamine for TRD","officialTitle":"A Phase 3 Study of Esketamine in Treatment-Resistant Depression"},
            "statusModule":{"overallStatus":"RECRUITING","studyFirstPostDateStruct":{"date":"2024-01"},"lastUpdatePostDateStruct":{"date":"2024-03-05"}},
            "conditionsModule":{"conditions":["Treatment Resistant Depression"]},
            "designModule":{"phases":["PHASE3"]},
            "armsInterventionsModule":{"interventions":[{"type":"DRUG","name":"Esketamine"}]},
            "descriptionModule":{"briefSummary":"A trial."}}},
          {"protocolSection":{"identificationModule":{"briefTitle":"no id"}}}],
          "nextPageToken":"tok2","totalCount":7}"#;
        let p = parse_page(json, "t").unwrap();
        assert_eq!(p.next_page_token.as_deref(), Some("tok2"));
        assert_eq!(p.total_count, Some(7));
        assert_eq!(p.feed.entries.len(), 1);
        let e = &p.feed.entries[0];
        assert_eq!(e.nct_id.as_deref(), Some("NCT01234567"));
        assert_eq!(
            e.summary.as_deref(),
            Some(
                "A trial. Official title: A Phase 3 Study of Esketamine in Treatment-Resistant Depression"
            )
        );
        assert_eq!(
            e.categories,
            [
                "type:trial-registration",
                "condition:Treatment Resistant Depression",
                "intervention:Esketamine",
                "phase:PHASE3",
                "status:RECRUITING"
            ]
        );
        assert_eq!(
            e.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2024-01-01T00:00:00+00:00")
        );
    }
}
