//! `ketlit export`: the saved entries as RIS, BibTeX, CSL-JSON, CSV or JSON lines.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::Cli;
use crate::export::ExportFormat;

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Output format
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: ExportFormat,
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
    /// At most N entries, newest first (0: no limit)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub limit: usize,
    /// Write to this file instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

impl ExportArgs {
    /// The same filters as `list`, through its parser so dates read the same way.
    fn filters(&self) -> Result<crate::store::Filters> {
        super::FilterArgs {
            tags: self.tags.clone(),
            source: self.source.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            types: self.types.clone(),
            limit: self.limit,
            format: None,
        }
        .filters()
    }
}

pub fn run(cli: &Cli, args: &ExportArgs) -> Result<ExitCode> {
    let filters = args.filters()?;
    let store = cli.open_store()?;
    let details = store.details(&filters)?;
    let records = crate::export::records(&details, &store.key_basis()?);
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| anyhow::anyhow!("--output {}: {e}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            crate::export::write(args.format, &records, &mut out)?;
            out.flush()
                .map_err(|e| anyhow::anyhow!("--output {}: {e}", path.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            crate::export::write(args.format, &records, &mut out)?;
            out.flush()?;
        }
    }
    if records.is_empty() {
        tracing::warn!("no entries matched; the export is empty");
    }
    Ok(ExitCode::SUCCESS)
}
