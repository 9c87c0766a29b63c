//! `ketlit stats`: counts by tag, source and month, and a terminal chart of papers per
//! month by condition over the last months (Unicode eighth blocks, inside 100 columns).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use chrono::Utc;
use clap::Args;
use serde_json::json;

use super::Cli;
use crate::store::last_months;
use crate::tag::CONDITION_TAGS;

/// A condition's column label in the chart: short enough for ten columns.
fn label(tag: &str) -> &str {
    match tag {
        "depression" => "depress.",
        "suicidality" => "suicid.",
        "substance-use" => "subst-use",
        t => t,
    }
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsFormat {
    Table,
    Json,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: StatsFormat,
    /// How many months the per-condition chart covers, ending with the current one
    #[arg(long, value_name = "N", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=240))]
    pub months: u32,
    #[command(flatten)]
    pub select: super::SelectArgs,
}

pub fn run(cli: &Cli, args: &StatsArgs) -> Result<ExitCode> {
    let filters = args.select.filters(0)?;
    let counts = cli.open_store()?.counts(&filters)?;
    let months = last_months(Utc::now().date_naive(), args.months);
    let grid = counts.condition_grid(&months);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        StatsFormat::Json => {
            let pairs = |v: &[(String, i64)], k: &str| -> Vec<serde_json::Value> {
                v.iter().map(|(a, n)| json!({k: a, "count": n})).collect()
            };
            let chart: Vec<_> = months
                .iter()
                .zip(&grid)
                .map(|(m, row)| {
                    let counts: serde_json::Map<_, _> = CONDITION_TAGS
                        .iter()
                        .zip(row)
                        .map(|(tag, n)| (tag.to_string(), json!(n)))
                        .collect();
                    json!({"month": m, "counts": counts})
                })
                .collect();
            let doc = json!({
                "total": counts.total,
                "by_tag": pairs(&counts.by_tag, "tag"),
                "by_source": pairs(&counts.by_source, "source"),
                "by_month": pairs(&counts.by_month, "month"),
                "by_month_condition": chart,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        StatsFormat::Table => {
            writeln!(out, "{} entries", counts.total)?;
            section(&mut out, "By tag", &counts.by_tag)?;
            section(&mut out, "By source", &counts.by_source)?;
            section(&mut out, "By month", &counts.by_month)?;
            writeln!(out)?;
            chart(&mut out, &months, &grid)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn section(out: &mut dyn Write, title: &str, rows: &[(String, i64)]) -> std::io::Result<()> {
    writeln!(out, "\n{title}")?;
    if rows.is_empty() {
        writeln!(out, "  (none)")?;
    }
    for (k, n) in rows {
        writeln!(out, "  {} {n:>6}", super::output::fit(k, 30))?;
    }
    Ok(())
}

const BAR: usize = 6;

/// A bar of `n` against `max` in `BAR` columns, with eighth-block resolution; a non-zero
/// count always shows at least a sliver.
pub fn bar(n: i64, max: i64) -> String {
    const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    if n <= 0 || max <= 0 {
        return " ".repeat(BAR);
    }
    let units = ((n as f64 / max as f64) * (BAR * 8) as f64)
        .round()
        .max(1.0) as usize;
    let mut s = "█".repeat(units / 8);
    if !units.is_multiple_of(8) {
        s.push(EIGHTHS[units % 8 - 1]);
    }
    let used = s.chars().count();
    s.push_str(&" ".repeat(BAR.saturating_sub(used)));
    s
}

fn chart(out: &mut dyn Write, months: &[String], grid: &[Vec<i64>]) -> std::io::Result<()> {
    let max = grid.iter().flatten().copied().max().unwrap_or(0);
    writeln!(
        out,
        "Papers per month by condition, last {} months (full bar = {max})",
        months.len()
    )?;
    // 7 for the month, then 8 cells of 10 (bar 6, count 3, gap 1): 88 columns.
    write!(out, "{:7}", "")?;
    for tag in CONDITION_TAGS {
        write!(out, " {:<9}", label(tag))?;
    }
    writeln!(out)?;
    for (m, row) in months.iter().zip(grid) {
        write!(out, "{m:7}")?;
        for &n in row {
            let count = if n > 0 { n.to_string() } else { "·".into() };
            write!(out, " {}{count:>3}", bar(n, max))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_in_eighths() {
        assert_eq!(bar(0, 10), "      ");
        assert_eq!(bar(10, 10), "██████");
        assert_eq!(bar(5, 10), "███   ");
        assert_eq!(bar(1, 100), "▏     ");
    }
}
