//! Command-line interface: flags, subcommand dispatch, logging set-up and exit codes
//! (0 ok, 1 error, 2 some feeds failed).

mod changes;
mod completions;
mod export;
mod feeds;
mod fetch;
mod list;
mod opml;
mod output;
mod parse;
mod serve;
mod show;
pub(crate) mod stats;
mod tagging;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::store::Store;

pub use output::OutputFormat;

#[derive(Parser, Debug)]
#[command(
    name = "ketlit",
    version,
    about = "Track the ketamine and esketamine research literature",
    long_about = "ketlit pulls research feeds (journal tables of contents, preprint servers, \
                  PubMed, ClinicalTrials.gov) into a local SQLite database, merges the same \
                  work seen in several feeds, and lets you list, search and show what was saved."
)]
pub struct Cli {
    /// Database file [default: $XDG_DATA_HOME/ketlit/ketlit.db]
    #[arg(long, global = true, env = "KETLIT_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Config file [default: $XDG_CONFIG_HOME/ketlit/config.toml, else the built-in defaults]
    #[arg(long, global = true, env = "KETLIT_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run every enabled feed on its schedule until SIGINT/SIGTERM (SIGHUP reloads the config)
    Daemon(fetch::DaemonArgs),
    /// One pass now over all (or the named) enabled feeds, then exit
    Fetch(fetch::FetchArgs),
    /// Show or manage the configured feeds
    #[command(subcommand)]
    Feeds(feeds::FeedsCommand),
    /// Saved entries, newest first
    List(list::ListArgs),
    /// Full-text search over title, abstract, authors and journal, best match first
    Search(list::SearchArgs),
    /// One entry whole: identifiers, every source it was seen in, tags and their evidence
    Show(show::ShowArgs),
    /// Re-apply the current tagging rules to every stored entry (one transaction)
    Retag(tagging::RetagArgs),
    /// Read JSON lines {"id","title","abstract"} on stdin; write each back with "relevant" and "tags"
    Classify,
    /// Parse one document (file or URL) and print its normalised entries as JSON; writes nothing
    Parse(parse::ParseArgs),
    /// Saved entries for reference managers and scripts: RIS, BibTeX, CSL-JSON, CSV, JSON lines
    Export(export::ExportArgs),
    /// Status events (retractions, corrections, expressions of concern), newest first
    Changes(changes::ChangesArgs),
    /// Counts by tag, source and month, with a chart of papers per month by condition
    Stats(stats::StatsArgs),
    /// Read-only HTTP: Atom feeds per tag and per query, /healthz, an HTML overview
    Serve(serve::ServeArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to stdout
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff) to stdout
    Man,
}

/// The selection flags shared by `list`, `search`, `export` and `stats`.
#[derive(Args, Debug, Clone)]
pub struct SelectArgs {
    /// Only entries carrying this tag (repeatable; all must hold)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only entries seen in this feed
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// Only entries published on or after: YYYY-MM-DD, YYYY-MM, YYYY, RFC 3339, or 7d, 12w, 6m, 1y ago
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only entries published before the end of: YYYY-MM-DD, YYYY-MM, YYYY, or RFC 3339
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Only entries of this type (rct, meta-analysis, review, trial-registration, preprint, case-report)
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// Only works whose current status is S: retracted, partially-retracted, corrected, concern, withdrawn, published, results-overdue, results-posted
    #[arg(long, value_name = "S", value_parser = status_name)]
    pub status: Option<String>,
}

/// A `--status` value: one of the statuses of the contract.
fn status_name(s: &str) -> std::result::Result<String, String> {
    let names: Vec<&str> = crate::store::STATUSES.iter().map(|(n, _)| *n).collect();
    if names.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!("unknown status (one of {})", names.join(", ")))
    }
}

impl SelectArgs {
    /// The store filters, with at most `limit` entries (0: no limit).
    pub fn filters(&self, limit: usize) -> Result<crate::store::Filters> {
        let now = chrono::Utc::now();
        let since = self
            .since
            .as_deref()
            .map(|s| crate::query::parse_when(s, now))
            .transpose()
            .map_err(|e| anyhow::anyhow!("--since: {e}"))?;
        let until = self
            .until
            .as_deref()
            .map(|s| crate::query::parse_until(s, now))
            .transpose()
            .map_err(|e| anyhow::anyhow!("--until: {e}"))?;
        let mut tags = self.tags.clone();
        tags.extend(
            self.types
                .iter()
                .map(|t| format!("type:{}", t.strip_prefix("type:").unwrap_or(t))),
        );
        Ok(crate::store::Filters {
            tags,
            source: self.source.clone(),
            since,
            until,
            limit: (limit > 0).then_some(limit),
            status: self.status.clone(),
        })
    }
}

/// `list` and `search`: the selection, a limit and an output format.
#[derive(Args, Debug, Clone)]
pub struct FilterArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// At most N entries (0: no limit)
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
    /// Output format [default: table on a terminal, jsonl otherwise]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<OutputFormat>,
}

impl FilterArgs {
    pub fn filters(&self) -> Result<crate::store::Filters> {
        self.select.filters(self.limit)
    }
}

impl Cli {
    pub fn db_path(&self) -> Result<PathBuf> {
        match &self.db {
            Some(p) if !p.as_os_str().is_empty() => Ok(p.clone()),
            _ => crate::config::default_db_path().context(
                "cannot find a home for the database: set --db, KETLIT_DB, XDG_DATA_HOME or HOME",
            ),
        }
    }

    pub fn open_store(&self) -> Result<Store> {
        Ok(Store::open(&self.db_path()?)?)
    }

    pub fn load_config(&self) -> Result<Config> {
        Ok(Config::load(
            self.config.as_deref().filter(|p| !p.as_os_str().is_empty()),
        )?)
    }
}

fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let default = match (cli.quiet, cli.verbose, &cli.command) {
        (true, _, _) => "error",
        (_, 0, Command::Daemon(_)) => "info",
        // fetch prints its own per-feed summary; failures need no second telling.
        (_, 0, Command::Fetch(_)) => "error",
        (_, 0, _) => "warn",
        (_, 1, _) => "info",
        (_, 2, _) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("ketlit={default},warn")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// Parses arguments, runs the command, and maps the result to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind::*;
            if matches!(
                e.kind(),
                DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("bad arguments");
            eprintln!(
                "ketlit: {} (see ketlit --help)",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(1);
        }
    };
    init_logging(&cli);
    match run(&cli) {
        Ok(code) => code,
        // `ketlit list | head` closes the pipe early: that is the reader's choice, not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ketlit: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>()
                .is_some_and(|c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
    })
}

fn run(cli: &Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Daemon(a) => fetch::daemon(cli, a),
        Command::Fetch(a) => fetch::run(cli, a),
        Command::Feeds(c) => feeds::run(cli, c),
        Command::List(a) => list::list(cli, a),
        Command::Search(a) => list::search(cli, a),
        Command::Show(a) => show::run(cli, a),
        Command::Parse(a) => parse::run(cli, a),
        Command::Retag(a) => tagging::retag(cli, a),
        Command::Classify => tagging::classify(cli),
        Command::Export(a) => export::run(cli, a),
        Command::Stats(a) => stats::run(cli, a),
        Command::Changes(a) => changes::run(cli, a),
        Command::Serve(a) => serve::run(cli, a),
        Command::Completions(a) => completions::completions(a),
        Command::Man => completions::man(),
    }
}

/// A multi-threaded runtime for the commands that fetch.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
