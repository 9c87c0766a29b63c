//! `ketlit fetch` (one pass now) and `ketlit daemon`.

use std::io::IsTerminal;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::Cli;
use crate::config::{Config, FeedConfig};
use crate::pipeline::{self, Ctx, FeedReport, Outcome};

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Only these feeds (by name); default: every enabled feed
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Backfill: pull the API feeds' records from DATE (YYYY-MM-DD) to today, page by
    /// page; an interrupted backfill continues where it stopped when run again with the
    /// same DATE. Plain feeds have no history and are fetched as usual.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<chrono::NaiveDate>,
}

fn parse_since(s: &str) -> Result<chrono::NaiveDate, String> {
    crate::query::parse_when(s, chrono::Utc::now()).map(|t| t.date_naive())
}

/// The feeds a pass covers: the named ones (which must exist), else every enabled one.
fn select(cfg: &Config, names: &[String]) -> Result<Vec<FeedConfig>> {
    if names.is_empty() {
        return Ok(cfg.feeds.iter().filter(|f| f.enabled).cloned().collect());
    }
    names
        .iter()
        .map(|n| match cfg.feed(n) {
            Some(f) => Ok(f.clone()),
            None => {
                let known: Vec<&str> = cfg.feeds.iter().map(|f| f.name.as_str()).collect();
                bail!(
                    "no feed named {n:?} in {} (feeds: {})",
                    cfg.origin,
                    known.join(", ")
                )
            }
        })
        .collect()
}

fn context(cli: &Cli, cfg: Config) -> Result<Ctx> {
    let mut store = cli.open_store()?;
    store.sync_feeds(&cfg.feeds, chrono::Utc::now())?;
    Ctx::new(cfg, store)
}

fn summary_line(r: &FeedReport) -> String {
    let secs = r.duration.as_secs_f64();
    match &r.outcome {
        Outcome::Stored(s) => {
            let mut parts = vec![format!("{} new", s.new)];
            if s.merged > 0 {
                parts.push(format!("{} merged into existing works", s.merged));
            }
            parts.push(format!("{} updated", s.updated));
            parts.push(format!("{} unchanged", s.unchanged));
            if s.filtered_out > 0 {
                parts.push(format!("{} filtered out", s.filtered_out));
            }
            if !s.events.is_empty() {
                parts.push(format!("{} new status event(s)", s.events.len()));
            }
            format!("{:<28} {} ({secs:.1} s)", r.feed, parts.join(", "))
        }
        Outcome::NotModified => format!("{:<28} unchanged (not modified) ({secs:.1} s)", r.feed),
        Outcome::Failed { error, .. } => format!("{:<28} FAILED: {error}", r.feed),
    }
}

/// Runs one pass and prints the per-feed summary. Returns whether any feed failed.
fn pass(ctx: &Ctx, feeds: &[FeedConfig]) -> Result<bool> {
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new(feeds.len() as u64);
        b.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} feeds {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let rt = super::runtime()?;
    let reports = rt.block_on(pipeline::run_pass(ctx, feeds, |r| {
        bar.inc(1);
        bar.set_message(r.feed.clone());
    }));
    bar.finish_and_clear();
    let mut reports = reports;
    reports.sort_by(|a, b| a.feed.cmp(&b.feed));
    let failed = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed { .. }))
        .count();
    for r in &reports {
        writeln!(std::io::stdout(), "{}", summary_line(r))?;
        if let Outcome::Stored(s) = &r.outcome {
            for line in super::changes::event_lines(&s.events) {
                writeln!(std::io::stdout(), "{line}")?;
            }
        }
    }
    let new: usize = reports
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Stored(s) => s.new,
            _ => 0,
        })
        .sum();
    writeln!(
        std::io::stdout(),
        "{} feed(s): {} ok, {} failed; {new} new work(s)",
        reports.len(),
        reports.len() - failed,
        failed
    )?;
    Ok(failed > 0)
}

/// Backfills each API feed in turn, with a spinner on a terminal. Returns whether any failed.
fn backfill_all(ctx: &Ctx, feeds: &[FeedConfig], since: chrono::NaiveDate) -> Result<bool> {
    let rt = super::runtime()?;
    let mut failed = false;
    for feed in feeds {
        let bar = if std::io::stderr().is_terminal() {
            let b = ProgressBar::new_spinner();
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        } else {
            ProgressBar::hidden()
        };
        let started = std::time::Instant::now();
        let result = rt.block_on(pipeline::backfill(ctx, feed, since, |p| {
            let of = p.total.map(|t| format!(" of {t} hits")).unwrap_or_default();
            bar.set_message(format!(
                "{}: page {}, {} new, {} merged{of}",
                feed.name, p.pages, p.stats.new, p.stats.merged
            ));
        }));
        bar.finish_and_clear();
        match result {
            Ok(p) => {
                writeln!(
                    std::io::stdout(),
                    "{:<28} backfill since {since}: {} new, {} merged into existing works, {} updated, {} unchanged, {} filtered out ({} page(s), {:.1} s)",
                    feed.name,
                    p.stats.new,
                    p.stats.merged,
                    p.stats.updated,
                    p.stats.unchanged,
                    p.stats.filtered_out,
                    p.pages,
                    started.elapsed().as_secs_f64()
                )?;
                for line in super::changes::event_lines(&p.stats.events) {
                    writeln!(std::io::stdout(), "{line}")?;
                }
            }
            Err(e) => {
                failed = true;
                writeln!(
                    std::io::stdout(),
                    "{:<28} FAILED: {e} (run the same command again to continue where it stopped)",
                    feed.name
                )?;
            }
        }
    }
    Ok(failed)
}

pub fn run(cli: &Cli, args: &FetchArgs) -> Result<ExitCode> {
    let cfg = cli.load_config()?;
    let feeds = select(&cfg, &args.names)?;
    if feeds.is_empty() {
        bail!("no enabled feeds in {}", cfg.origin);
    }
    let ctx = context(cli, cfg)?;
    if let Some(since) = args.since {
        let (api, plain): (Vec<FeedConfig>, Vec<FeedConfig>) =
            feeds.into_iter().partition(|f| f.kind.is_api());
        let mut failed = backfill_all(&ctx, &api, since)?;
        if !plain.is_empty() {
            failed |= pass(&ctx, &plain)?;
        }
        return Ok(if failed {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        });
    }
    Ok(if pass(&ctx, &feeds)? {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Args, Debug)]
pub struct DaemonArgs {
    /// Print a systemd user unit that runs this daemon, and exit
    #[arg(long)]
    pub print_systemd_unit: bool,
}

pub fn daemon(cli: &Cli, args: &DaemonArgs) -> Result<ExitCode> {
    if args.print_systemd_unit {
        print!("{}", crate::daemon::systemd_unit());
        return Ok(ExitCode::SUCCESS);
    }
    let cfg = cli.load_config()?;
    let db = cli.db_path()?;
    let _lock = crate::lock::DaemonLock::acquire(&db)?;
    let store = crate::store::Store::open(&db)?;
    let config_flag = cli.config.clone().filter(|p| !p.as_os_str().is_empty());
    super::runtime()?.block_on(crate::daemon::run(config_flag, cfg, store))?;
    Ok(ExitCode::SUCCESS)
}
