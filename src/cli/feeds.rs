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
    /// Add the feeds of an OPML file to your config file (created if missing; existing text kept)
    Import(super::opml::ImportArgs),
    /// Write the configured feeds as OPML 2.0 to stdout (for newsboat, Miniflux, …)
    Export(super::opml::ExportArgs),
}

#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum FeedsFormat {
    Table,
    Json,
}

pub fn run(cli: &Cli, cmd: &FeedsCommand) -> Result<ExitCode> {
    match cmd {
        FeedsCommand::Import(a) => return super::opml::import(cli, a),
        FeedsCommand::Export(a) => return super::opml::export(cli, a),
        _ => {}
    }
    let cfg = cli.load_config()?;
    let mut store = cli.open_store()?;
    store.sync_feeds(&cfg.feeds, chrono::Utc::now())?;
    match cmd {
        FeedsCommand::Retry { name } => {
            if !store.retry_feed(name, chrono::Utc::now())? {
                bail!("no feed named {name:?}");
            }
            writeln!(
                std::io::stdout(),
                "{name}: backoff cleared; it runs on the next tick or `ketlit fetch {name}`"
            )?;
        }
        FeedsCommand::Import(_) | FeedsCommand::Export(_) => {}
        FeedsCommand::List { format } => {
            let rows = store.feeds()?;
            let daemon = daemon_status(cli, &store)?;
            let stdout = std::io::stdout();
            let mut o = stdout.lock();
            match format {
                FeedsFormat::Json => {
                    let doc = serde_json::json!({"daemon": daemon.json, "feeds": rows});
                    serde_json::to_writer_pretty(&mut o, &doc)?;
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
                        } else if f.disabled_reason.is_some() {
                            "gone"
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
                        if let Some(url) = &f.moved_to {
                            writeln!(
                                o,
                                "    moved permanently: fetched from {url} (config says {})",
                                f.url
                            )?;
                        }
                        if let Some(reason) = &f.disabled_reason {
                            writeln!(o, "    DISABLED: {reason}")?;
                        }
                    }
                    writeln!(o)?;
                    writeln!(o, "{}", daemon.line)?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

struct DaemonStatus {
    line: String,
    json: serde_json::Value,
}

/// Whether a daemon runs on this database (its lock is held), and its heartbeat.
fn daemon_status(cli: &Cli, store: &crate::store::Store) -> Result<DaemonStatus> {
    let beat = store.heartbeat()?;
    let now = chrono::Utc::now();
    let ago = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(
            || "never".to_string(),
            |t| format!("{} s ago", (now - t).num_seconds().max(0)),
        )
    };
    let pid = crate::lock::running_pid(&cli.db_path()?);
    let json = serde_json::json!({
        "running": pid.is_some(),
        "pid": pid.as_deref().and_then(|p| p.parse::<u32>().ok()).or(beat.as_ref().map(|b| b.pid)),
        "started_at": beat.as_ref().and_then(|b| b.started_at),
        "last_tick_at": beat.as_ref().and_then(|b| b.last_tick_at),
        "stopped_at": beat.as_ref().and_then(|b| b.stopped_at),
    });
    let line = match (pid, beat) {
        (Some(pid), Some(b)) => format!(
            "daemon: running (pid {pid}, started {}, last tick {})",
            datetime(b.started_at),
            ago(b.last_tick_at)
        ),
        (Some(pid), None) => format!("daemon: running (pid {pid})"),
        (None, Some(b)) => format!(
            "daemon: not running (last ran as pid {}, last tick {})",
            b.pid,
            ago(b.last_tick_at)
        ),
        (None, None) => "daemon: not running (never started on this database)".to_string(),
    };
    Ok(DaemonStatus { line, json })
}
