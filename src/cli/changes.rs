//! `ketlit changes`: status events (retractions, corrections, expressions of concern),
//! newest first; and how `show` presents a work's events.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::Cli;
use super::output::{date, fit, table_width};
use crate::store::{Change, EVENT_KINDS, EntryDetail};

#[derive(Args, Debug)]
pub struct ChangesArgs {
    /// Only events ketlit learnt of on or after: YYYY-MM-DD, YYYY-MM, YYYY, RFC 3339, or 7d, 12w, 6m, 1y ago
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only events of this kind (retracted, partially-retracted, corrected, expression-of-concern, ...)
    #[arg(long, value_name = "K", value_parser = kind_name)]
    pub kind: Option<String>,
    /// At most N events (0: no limit)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub limit: usize,
    /// Output format [default: table on a terminal, jsonl otherwise]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ChangesFormat>,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangesFormat {
    Table,
    Json,
    Jsonl,
}

fn kind_name(s: &str) -> std::result::Result<String, String> {
    if EVENT_KINDS.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "unknown event kind (one of {})",
            EVENT_KINDS.join(", ")
        ))
    }
}

pub fn run(cli: &Cli, args: &ChangesArgs) -> Result<ExitCode> {
    let since = match args.since.as_deref() {
        Some(s) => Some(
            crate::query::parse_when(s, chrono::Utc::now())
                .map_err(|e| anyhow::anyhow!("--since: {e}"))?,
        ),
        None => None,
    };
    let store = cli.open_store()?;
    let limit = (args.limit > 0).then_some(args.limit);
    let rows = store.changes(since, args.kind.as_deref(), limit)?;
    let format = args
        .format
        .unwrap_or(match super::OutputFormat::resolve(None) {
            super::OutputFormat::Table => ChangesFormat::Table,
            _ => ChangesFormat::Jsonl,
        });
    print_changes(&rows, format)?;
    Ok(ExitCode::SUCCESS)
}

fn print_changes(rows: &[Change], format: ChangesFormat) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        ChangesFormat::Json => {
            serde_json::to_writer_pretty(&mut out, rows)?;
            writeln!(out)?;
        }
        ChangesFormat::Jsonl => {
            for r in rows {
                serde_json::to_writer(&mut out, r)?;
                writeln!(out)?;
            }
        }
        ChangesFormat::Table => {
            let (idw, datew, kindw) = (6, 10, 21);
            let restw = table_width()
                .saturating_sub(idw + 2 * datew + kindw + 4)
                .max(20);
            writeln!(
                out,
                "{:>idw$} {} {} {} TITLE / DETAIL",
                "ID",
                fit("SEEN", datew),
                fit("KIND", kindw),
                fit("DATE", datew)
            )?;
            for r in rows {
                let text = format!("{} / {}", r.title, r.event.detail);
                writeln!(
                    out,
                    "{:>idw$} {} {} {} {}",
                    r.id,
                    fit(&date(r.first_seen), datew),
                    fit(&r.event.kind, kindw),
                    fit(&date(r.event.date), datew),
                    fit(&text, restw).trim_end()
                )?;
            }
            if rows.is_empty() {
                writeln!(out, "(no changes)")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// The line `show` puts above everything else for a retracted work, or one under an
/// expression of concern: what the latest such event says.
pub(super) fn banner(d: &EntryDetail) -> Option<String> {
    let (word, kind) = match d.summary.status? {
        "retracted" => ("RETRACTED", "retracted"),
        "partially-retracted" => ("PARTIALLY RETRACTED", "partially-retracted"),
        "concern" => ("EXPRESSION OF CONCERN", "expression-of-concern"),
        _ => return None,
    };
    let ev = d.events.iter().find(|e| e.kind == kind)?;
    let mut line = format!("*** {word}: {}", ev.detail);
    if let Some(l) = &ev.link {
        line.push_str(&format!(" ({l})"));
    }
    line.push_str(" ***");
    Some(line)
}

/// `show`'s list of events, newest first.
pub(super) fn write_events(o: &mut dyn Write, d: &EntryDetail) -> Result<()> {
    if d.events.is_empty() {
        return Ok(());
    }
    writeln!(o, "  Status      {}", d.summary.status.unwrap_or("-"))?;
    writeln!(o, "  Events")?;
    for e in &d.events {
        writeln!(o, "    {:<22} {}  {}", e.kind, date(e.date), e.detail)?;
        let related = e.related_id.map(|id| format!("#{id}"));
        let tail: Vec<String> = [related, e.link.clone(), Some(format!("from {}", e.source))]
            .into_iter()
            .flatten()
            .collect();
        writeln!(o, "{:<37}{}", "", tail.join("  "))?;
    }
    Ok(())
}

/// The per-event lines `fetch` prints under its summary.
pub(super) fn event_lines(events: &[Change]) -> Vec<String> {
    events
        .iter()
        .map(|c| {
            format!(
                "  {} #{}: {} ({})",
                c.event.kind, c.id, c.title, c.event.detail
            )
        })
        .collect()
}
