//! Output formats for entry lists (table, json, jsonl, csv) and the text helpers
//! that keep tables inside 100 columns.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use chrono::{DateTime, Utc};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::store::EntrySummary;

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
    Jsonl,
    Csv,
}

impl OutputFormat {
    /// The explicit choice, else a table on a terminal and JSON lines in a pipe.
    pub fn resolve(choice: Option<OutputFormat>) -> OutputFormat {
        choice.unwrap_or(if std::io::stdout().is_terminal() {
            OutputFormat::Table
        } else {
            OutputFormat::Jsonl
        })
    }
}

/// Width of the terminal's text area for tables: `COLUMNS` if set, else 100.
pub fn table_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&c: &usize| c >= 40)
        .unwrap_or(100)
}

/// Cuts `s` to `width` display columns, ending with '…' when cut, padded to `width`.
pub fn fit(s: &str, width: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.width() <= width {
        return format!("{s}{}", " ".repeat(width - s.width()));
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    used += 1;
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out
}

pub fn date(d: Option<DateTime<Utc>>) -> String {
    d.map_or_else(|| "-".into(), |d| d.format("%Y-%m-%d").to_string())
}

pub fn datetime(d: Option<DateTime<Utc>>) -> String {
    d.map_or_else(
        || "-".into(),
        |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// The title a table shows: a retraction or concern first, so it cannot be missed.
fn status_title(r: &EntrySummary) -> String {
    match r.status {
        Some(s @ ("retracted" | "partially-retracted" | "concern")) => {
            format!("[{}] {}", s.to_uppercase(), r.title)
        }
        _ => r.title.clone(),
    }
}

/// Writes entries in `format` to stdout.
pub fn print_entries(rows: &[EntrySummary], format: OutputFormat) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, rows)?;
            writeln!(out)?;
        }
        OutputFormat::Jsonl => {
            for r in rows {
                serde_json::to_writer(&mut out, r)?;
                writeln!(out)?;
            }
        }
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "id",
                "published",
                "title",
                "journal",
                "doi",
                "pmid",
                "pmcid",
                "nct_id",
                "link",
                "sources",
                "tags",
            ])?;
            for r in rows {
                let o = |s: &Option<String>| s.clone().unwrap_or_default();
                w.write_record([
                    r.id.to_string(),
                    r.published.map(|d| d.to_rfc3339()).unwrap_or_default(),
                    r.title.clone(),
                    o(&r.journal),
                    o(&r.doi),
                    o(&r.pmid),
                    o(&r.pmcid),
                    o(&r.nct_id),
                    o(&r.link),
                    r.sources.join(";"),
                    r.tags.join(";"),
                ])?;
            }
            w.flush()?;
            return Ok(());
        }
        OutputFormat::Table => {
            let width = table_width();
            // id, date and sources take fixed columns; the title gets the rest.
            let (idw, datew, srcw) = (6, 10, 18);
            let titlew = width.saturating_sub(idw + datew + srcw + 3).max(20);
            writeln!(
                out,
                "{:>idw$} {} {} TITLE",
                "ID",
                fit("DATE", datew),
                fit("SOURCES", srcw),
            )?;
            for r in rows {
                writeln!(
                    out,
                    "{:>idw$} {} {} {}",
                    r.id,
                    fit(&date(r.published), datew),
                    fit(&r.sources.join(","), srcw),
                    fit(&status_title(r), titlew).trim_end()
                )?;
            }
            if rows.is_empty() {
                writeln!(out, "(no entries)")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_and_pads_by_display_width() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 5), "abcd…");
        assert_eq!(fit("a  b\nc", 6), "a b c ");
        assert_eq!(fit("日本語テキスト", 7).width(), 7);
    }
}
