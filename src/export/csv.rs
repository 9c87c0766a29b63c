//! CSV and JSON lines: one row or object per work with the same fields as the
//! reference-manager formats, for scripts and spreadsheets.

use std::io::Write;

use super::Record;

pub fn write_csv(records: &[Record], out: &mut dyn Write) -> Result<(), ::csv::Error> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record([
        "id", "key", "type", "title", "authors", "journal", "year", "date", "doi", "pmid", "pmcid",
        "nct_id", "url", "abstract", "keywords", "sources",
    ])?;
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    for r in records {
        let kind = serde_json::to_value(r.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        w.write_record([
            r.id.to_string(),
            r.key.clone(),
            kind,
            r.title.clone(),
            r.authors
                .iter()
                .map(|a| a.inverted())
                .collect::<Vec<_>>()
                .join("; "),
            o(&r.journal),
            r.year.map(|y| y.to_string()).unwrap_or_default(),
            o(&r.date),
            o(&r.doi),
            o(&r.pmid),
            o(&r.pmcid),
            o(&r.nct_id),
            o(&r.url),
            o(&r.abstract_),
            r.keywords.join("; "),
            r.sources.join("; "),
        ])?;
    }
    w.flush()?;
    Ok(())
}

pub fn write_jsonl(records: &[Record], out: &mut dyn Write) -> anyhow::Result<()> {
    for r in records {
        serde_json::to_writer(&mut *out, r)?;
        writeln!(out)?;
    }
    Ok(())
}
