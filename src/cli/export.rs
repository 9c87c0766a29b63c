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
    #[command(flatten)]
    pub select: super::SelectArgs,
    /// At most N entries, newest first (0: no limit)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub limit: usize,
    /// Write to this file instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

pub fn run(cli: &Cli, args: &ExportArgs) -> Result<ExitCode> {
    let filters = args.select.filters(args.limit)?;
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
