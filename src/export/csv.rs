//! CSV and JSON lines: one row or object per work with the same fields as the
//! reference-manager formats, for scripts and spreadsheets. CSV cells that a
//! spreadsheet would run as a formula are defused (see [`defuse`]).

use std::borrow::Cow;
use std::io::Write;

use super::Record;

pub fn write_csv(records: &[Record], out: &mut dyn Write) -> Result<(), ::csv::Error> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record([
        "id", "key", "type", "title", "authors", "journal", "year", "date", "doi", "pmid", "pmcid",
        "nct_id", "url", "abstract", "keywords", "sources",
    ])?;
    for r in records {
        w.write_record(row(r).iter().map(|cell| defuse(cell).into_owned()))?;
    }
    w.flush()?;
    Ok(())
}

/// The cells of `r`'s row, in the header's order.
fn row(r: &Record) -> [String; 16] {
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    let kind = serde_json::to_value(r.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    [
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
    ]
}

/// A cell starting with `=`, `+`, `-`, `@`, tab, CR or LF gets a leading `'`, as OWASP's
/// CSV-injection advice says: Excel, LibreOffice and Google Sheets would otherwise
/// evaluate a title like `=HYPERLINK(…)` or `@SUM(…)` from a feed as a formula. The
/// quote shows in the cell; nothing else changes.
pub fn defuse(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\n') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

pub fn write_jsonl(records: &[Record], out: &mut dyn Write) -> anyhow::Result<()> {
    for r in records {
        serde_json::to_writer(&mut *out, r)?;
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::defuse;

    #[test]
    fn formula_prefixes_are_defused() {
        for (cell, out) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("\n=1", "'\n=1"),
            ("Ketamine = good", "Ketamine = good"),
            ("", ""),
        ] {
            assert_eq!(defuse(cell), out, "{cell:?}");
        }
    }
}
