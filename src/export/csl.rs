//! CSL-JSON (the citation-style-language/schema `csl-data.json` shape) for pandoc
//! `--citeproc`, Zotero and any citeproc: an array of items keyed by the citation key.

use std::io::Write;

use serde_json::{Map, Value, json};

use super::{Record, WorkKind};

pub fn write(records: &[Record], out: &mut dyn Write) -> anyhow::Result<()> {
    let items: Vec<Value> = records.iter().map(item).collect();
    serde_json::to_writer_pretty(&mut *out, &items)?;
    writeln!(out)?;
    Ok(())
}

pub fn item(r: &Record) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("id", json!(r.key));
    // CSL 1.0.2: `article` is "a preprint, working paper or similar"; a registry record
    // is closest to `report` (an institution's numbered document), with a genre saying what.
    match r.kind {
        WorkKind::Article => put("type", json!("article-journal")),
        WorkKind::Preprint => {
            put("type", json!("article"));
            put("genre", json!("Preprint"));
        }
        WorkKind::TrialRegistration => {
            put("type", json!("report"));
            put("genre", json!("Clinical trial registration"));
            put("publisher", json!("ClinicalTrials.gov"));
            if let Some(n) = &r.nct_id {
                put("number", json!(n));
            }
        }
    }
    put("title", json!(r.title));
    if !r.authors.is_empty() {
        put("author", json!(r.authors));
    }
    if let Some(j) = &r.journal {
        match r.kind {
            // A preprint's "journal" is its server (bioRxiv, medRxiv): the publisher.
            WorkKind::Preprint => put("publisher", json!(j)),
            // The registry is already the publisher.
            WorkKind::TrialRegistration if j.eq_ignore_ascii_case("ClinicalTrials.gov") => {}
            _ => put("container-title", json!(j)),
        }
    }
    if let Some((y, mo, d)) = r.date_parts() {
        put("issued", json!({"date-parts": [[y, mo, d]]}));
    }
    if let Some(v) = &r.doi {
        put("DOI", json!(v));
    }
    if let Some(v) = &r.pmid {
        put("PMID", json!(v));
    }
    if let Some(v) = &r.pmcid {
        put("PMCID", json!(v));
    }
    if let (Some(n), false) = (&r.nct_id, r.kind == WorkKind::TrialRegistration) {
        put("note", json!(format!("ClinicalTrials.gov: {n}")));
    }
    if let Some(v) = &r.url {
        put("URL", json!(v));
    }
    if let Some(v) = &r.abstract_ {
        put("abstract", json!(v));
    }
    if !r.keywords.is_empty() {
        put("keyword", json!(r.keywords.join(", ")));
    }
    Value::Object(m)
}
