//! `ketlit retag` (re-apply the tagging rules to every stored entry) and `ketlit
//! classify` (tag JSON lines from stdin).

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde_json::Value;

use super::Cli;

#[derive(Args, Debug)]
pub struct RetagArgs {
    /// Output format for the report
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum ReportFormat {
    Text,
    Json,
}

pub fn retag(cli: &Cli, args: &RetagArgs) -> Result<ExitCode> {
    let cfg = cli.load_config()?;
    let tagger = cfg.tagger()?;
    let mut store = cli.open_store()?;
    let stats = store.retag(&tagger)?;
    let mut out = std::io::stdout();
    match args.format {
        ReportFormat::Json => writeln!(out, "{}", serde_json::to_string(&stats)?)?,
        ReportFormat::Text => writeln!(
            out,
            "retagged {} entries with rules {}: {} changed ({} tags added, {} removed)",
            stats.entries,
            tagger.rules_fingerprint(),
            stats.entries_changed,
            stats.tags_added,
            stats.tags_removed
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Tags one input object: it must be a JSON object with a string `title` and/or
/// `abstract` (and may carry `mesh`, `keywords` and `publication_types` lists); it is
/// echoed with `relevant`, `tags` (condition tags), `drugs` and `types` (the `drug:` and
/// `type:` tags without their prefix) added.
fn classify_line(tagger: &crate::tag::Tagger, line: &str) -> std::result::Result<Value, String> {
    let mut v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object_mut().ok_or("expected a JSON object")?;
    let text = |key: &str| -> std::result::Result<String, String> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(format!("\"{key}\" must be a string")),
        }
    };
    let (title, abstract_) = (text("title")?, text("abstract")?);
    if title.is_empty() && abstract_.is_empty() {
        return Err("needs a \"title\" or an \"abstract\"".into());
    }
    let list = |key: &str| -> Vec<String> {
        obj.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (mesh, keywords, pubtypes) = (list("mesh"), list("keywords"), list("publication_types"));
    let verdict = tagger.classify(&crate::tag::TagInput {
        title: &title,
        abstract_: &abstract_,
        mesh: &mesh,
        keywords: &keywords,
        publication_types: &pubtypes,
        conditions: &[],
    });
    let tags: Vec<Value> = verdict
        .condition_tags()
        .into_iter()
        .map(Value::from)
        .collect();
    let with_prefix = |prefix: &str| -> Value {
        verdict
            .tags
            .iter()
            .filter_map(|t| t.tag.strip_prefix(prefix).map(Value::from))
            .collect()
    };
    obj.insert("relevant".into(), Value::Bool(verdict.relevant));
    obj.insert("tags".into(), Value::Array(tags));
    obj.insert("drugs".into(), with_prefix("drug:"));
    obj.insert("types".into(), with_prefix("type:"));
    Ok(v)
}

pub fn classify(cli: &Cli) -> Result<ExitCode> {
    let tagger = cli.load_config()?.tagger()?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = 0usize;
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match classify_line(&tagger, &line) {
            Ok(v) => {
                serde_json::to_writer(&mut out, &v)?;
                writeln!(out)?;
            }
            Err(e) => {
                failed += 1;
                eprintln!("ketlit: stdin: line {}: {e}", n + 1);
            }
        }
    }
    out.flush()?;
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
