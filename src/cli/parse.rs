//! `ketlit parse FILE|URL`: parse one document and print the normalised entries.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::Cli;
use crate::fetch::{FetchOutcome, Fetcher, Validators};
use crate::model::Kind;

#[derive(Args, Debug)]
pub struct ParseArgs {
    /// A file path, or an http(s) URL to fetch
    pub source: String,
    /// Parse as this kind instead of sniffing (auto, rss, atom, rdf, jsonfeed, ...)
    #[arg(long, default_value = "auto", value_parser = parse_kind)]
    pub kind: Kind,
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    Kind::parse(s).ok_or_else(|| {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        format!("unknown kind {s:?} (expected one of {})", known.join(", "))
    })
}

pub fn run(cli: &Cli, args: &ParseArgs) -> Result<ExitCode> {
    let (bytes, content_type) =
        if args.source.starts_with("http://") || args.source.starts_with("https://") {
            let cfg = cli.load_config()?;
            let fetcher = Fetcher::new(&cfg.http.settings())?;
            let rt = super::runtime()?;
            match rt.block_on(fetcher.get(&args.source, &Validators::default()))? {
                FetchOutcome::Modified {
                    body, content_type, ..
                } => (body, content_type),
                FetchOutcome::NotModified { .. } => {
                    anyhow::bail!("{}: server answered 304 Not Modified", args.source)
                }
            }
        } else {
            let bytes = std::fs::read(&args.source).with_context(|| args.source.clone())?;
            (bytes, None)
        };
    let mut parsed =
        crate::parse::parse_document(&bytes, content_type.as_deref(), args.kind, &args.source)?;
    // What would be stored: the same last clean-up a fetched entry gets.
    let base = url::Url::parse(&args.source).ok();
    for e in &mut parsed.entries {
        crate::normalize::entry::finish(e, base.as_ref());
    }
    writeln!(
        std::io::stdout(),
        "{}",
        serde_json::to_string_pretty(&parsed)?
    )?;
    Ok(ExitCode::SUCCESS)
}
