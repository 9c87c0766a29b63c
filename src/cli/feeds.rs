//! `ketlit feeds list` and `ketlit feeds retry`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Subcommand;

use super::Cli;
use super::output::{datetime, fit};

#[derive(Subcommand, Debug)]
pub enum FeedsCommand {
    /// Each feed with its state: last fetch and status, entries, filtered out, errors, next due and why
    List {
        /// Output format
        #[arg(long, value_enum, default_value = "table")]
        format: FeedsFormat,
    },
    /// Clear a feed's backoff so it is tried on the next tick
    Retry {
        /// The feed's name
        name: String,
    },
}

#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum FeedsFormat {
    Table,
    Json,
}

pub fn run(cli: &Cli, cmd: &FeedsCommand) -> Result<ExitCode> {
    let cfg = cli.load_config()?;
    let mut store = cli.open_store()?;
    store.sync_feeds(&cfg.feeds, chrono::Utc::now())?;
    match cmd {
        FeedsCommand::Retry { name } => {
            if !store.retry_feed(name, chrono::Utc::now())? {
                bail!("no feed named {name:?}");
            }
            println!("{name}: backoff cleared; it runs on the next tick or `ketlit fetch {name}`");
        }
        FeedsCommand::List { format } => {
            let rows = store.feeds()?;
            let stdout = std::io::stdout();
            let mut o = stdout.lock();
            match format {
                FeedsFormat::Json => {
                    serde_json::to_writer_pretty(&mut o, &rows)?;
                    writeln!(o)?;
                }
                FeedsFormat::Table => {
                    writeln!(
                        o,
                        "{} {} {} {} {:>7} {:>8} {:>4}  NEXT DUE",
                        fit("NAME", 24),
                        fit("KIND", 9),
                        fit("STATE", 12),
                        fit("LAST FETCH", 20),
                        "ENTRIES",
                        "FILTERED",
                        "ERRS"
                    )?;
                    for f in &rows {
                        let state = if !f.in_config {
                            "not in config"
                        } else if !f.enabled {
                            "disabled"
                        } else {
                            f.last_status.as_deref().unwrap_or("never run")
                        };
                        writeln!(
                            o,
                            "{} {} {} {} {:>7} {:>8} {:>4}  {}",
                            fit(&f.name, 24),
                            fit(&f.kind, 9),
                            fit(state, 12),
                            fit(&datetime(f.last_fetch_at), 20),
                            f.entries,
                            f.filtered_out,
                            f.consecutive_errors,
                            datetime(f.next_due_at)
                        )?;
                        if let Some(reason) = &f.next_due_reason {
                            writeln!(o, "    next due because: {reason}")?;
                        }
                        if let (Some(err), Some("error")) =
                            (&f.last_error, f.last_status.as_deref())
                        {
                            writeln!(o, "    last error: {err}")?;
                        }
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
