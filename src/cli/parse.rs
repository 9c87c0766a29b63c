//! `ketlit parse FILE|URL`: parse one document and print the normalised entries.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::Cli;
use crate::fetch::{FetchOutcome, Fetcher, Validators};
use crate::model::Kind;
use crate::parse::encoding::DocEncoding;

#[derive(Args, Debug)]
pub struct ParseArgs {
    /// A file path, or an http(s) URL to fetch
    pub source: String,
    /// Parse as this kind instead of sniffing (auto, rss, atom, rdf, jsonfeed, ...)
    #[arg(long, default_value = "auto", value_parser = parse_kind)]
    pub kind: Kind,
    /// Read the document in this encoding (utf-8, windows-1252, shift_jis, utf-32le, ...),
    /// as if the server had sent it: it outranks a served charset and the XML declaration,
    /// not a byte order mark
    #[arg(long, value_name = "LABEL", value_parser = parse_charset)]
    pub charset: Option<String>,
}

fn parse_charset(s: &str) -> Result<String, String> {
    match DocEncoding::for_label(s) {
        Some(_) => Ok(s.trim().to_string()),
        None => Err(format!(
            "unknown encoding label {s:?} (WHATWG names, or utf-32)"
        )),
    }
}

/// The Content-Type the parser sees: the served one, its charset replaced by
/// `--charset` when given.
fn effective_content_type(served: Option<String>, charset: Option<&str>) -> Option<String> {
    let Some(charset) = charset else {
        return served;
    };
    let media = served
        .as_deref()
        .and_then(|ct| ct.split(';').next())
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .unwrap_or("application/xml");
    Some(format!("{media}; charset={charset}"))
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
                FetchOutcome::Modified(d) => (d.body, d.content_type),
                FetchOutcome::NotModified { .. } => {
                    anyhow::bail!("{}: server answered 304 Not Modified", args.source)
                }
            }
        } else {
            let bytes = std::fs::read(&args.source).with_context(|| args.source.clone())?;
            (bytes, None)
        };
    let content_type = effective_content_type(content_type, args.charset.as_deref());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_given_charset_replaces_the_served_one() {
        let served = Some("application/rss+xml; charset=utf-8".to_string());
        assert_eq!(
            effective_content_type(served.clone(), Some("koi8-r")).as_deref(),
            Some("application/rss+xml; charset=koi8-r")
        );
        assert_eq!(effective_content_type(served.clone(), None), served);
        assert_eq!(
            effective_content_type(None, Some("big5")).as_deref(),
            Some("application/xml; charset=big5")
        );
        assert!(parse_charset("utf-32").is_ok());
        assert!(parse_charset("no-such").is_err());
    }
}
