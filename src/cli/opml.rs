//! `ketlit feeds import FILE.opml` and `ketlit feeds export`: OPML in and out of the
//! user's config file. Import only ever appends, after checking the result still loads.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;

use super::Cli;
use crate::config::Config;
use crate::export::opml::{self, OpmlFeed};
use crate::model::Kind;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The OPML file (from newsboat, Miniflux, Feedly, … or `ketlit feeds export`)
    #[arg(value_name = "FILE.opml")]
    pub file: PathBuf,
    /// Use this kind for every imported feed instead of guessing it from the URL
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Only feeds a feed reader can read itself (skips the API kinds: pubmed, europepmc, …)
    #[arg(long)]
    pub readers_only: bool,
}

/// Where import writes: `--config`/`KETLIT_CONFIG`, else the XDG config file.
fn config_path(cli: &Cli) -> Result<PathBuf> {
    match &cli.config {
        Some(p) if !p.as_os_str().is_empty() => Ok(p.clone()),
        _ => crate::config::default_config_path().context(
            "cannot find the config file: set --config, KETLIT_CONFIG, XDG_CONFIG_HOME or HOME",
        ),
    }
}

pub fn import(cli: &Cli, args: &ImportArgs) -> Result<ExitCode> {
    let origin = args.file.display().to_string();
    let forced = match &args.kind {
        Some(k) => Some(Kind::parse(k).ok_or_else(|| {
            anyhow!("--kind {k:?}: expected auto, rss, atom, rdf, jsonfeed, pubmed, europepmc, biorxiv, ctgov or arxiv")
        })?),
        None => None,
    };
    let bytes = std::fs::read(&args.file).map_err(|e| anyhow!("{origin}: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    let feeds = opml::read(&text, &origin).map_err(|e| anyhow!(e))?;
    let path = config_path(cli)?;
    let shown = path.display().to_string();
    let existing = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => bail!("{shown}: {e}"),
    };
    // Appending to a file that does not load would only bury the first error deeper.
    let current = Config::from_str_with_origin(&existing, &shown)?;
    let mut names: Vec<String> = current.feeds.iter().map(|f| f.name.clone()).collect();
    let mut add = String::new();
    let mut report = Vec::new();
    let mut added = 0;
    for f in &feeds {
        if let Some(same) = current.feeds.iter().find(|c| c.url == f.xml_url) {
            report.push(format!(
                "skipped {} (already configured as {})",
                f.xml_url, same.name
            ));
            continue;
        }
        let (kind, why) = match (forced, f.kind.as_deref().and_then(Kind::parse)) {
            (Some(k), _) => (k, "from --kind"),
            (None, Some(k)) => (k, "from the file"),
            (None, None) => (opml::guess_kind(&f.xml_url), "guessed from the URL"),
        };
        let name = opml::unique_name(&opml::slug(&f.title), &|n| names.iter().any(|x| x == n));
        names.push(name.clone());
        add.push_str(&format!("\n# {}\n[[feed]]\n", one_line(&f.title)));
        add.push_str(&format!("name = {}\n", opml::toml_string(&name)));
        add.push_str(&format!("url = {}\n", opml::toml_string(&f.xml_url)));
        add.push_str(&format!("kind = {}\n", opml::toml_string(kind.as_str())));
        if let Some(x) = &f.filter {
            add.push_str(&format!("filter = {}\n", opml::toml_string(x)));
        }
        if let Some(x) = &f.schedule {
            add.push_str(&format!("schedule = {}\n", opml::toml_string(x)));
        }
        report.push(format!(
            "added {name} (kind {}, {why}) {}",
            kind.as_str(),
            f.xml_url
        ));
        added += 1;
    }
    if added > 0 {
        let mut block = String::new();
        if !existing.is_empty() && !existing.ends_with('\n') {
            block.push('\n');
        }
        block.push_str(&format!(
            "\n# Imported from {} on {} by `ketlit feeds import`.\n# Kinds were guessed from the URLs: change a feed's `kind` here if it is wrong.\n",
            one_line(&origin),
            chrono::Utc::now().format("%Y-%m-%d")
        ));
        block.push_str(&add);
        let combined = format!("{existing}{block}");
        Config::from_str_with_origin(&combined, &shown)
            .map_err(|e| anyhow!("the imported feeds would not load, nothing written: {e}"))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| anyhow!("{}: {e}", dir.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| anyhow!("{shown}: {e}"))?;
        file.write_all(block.as_bytes())
            .map_err(|e| anyhow!("{shown}: {e}"))?;
    }
    let mut out = std::io::stdout().lock();
    for line in &report {
        writeln!(out, "{line}")?;
    }
    writeln!(
        out,
        "{added} of {} feeds added to {shown}; to change a kind, edit `kind = ...` there (or re-import with --kind)",
        feeds.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn export(cli: &Cli, args: &ExportArgs) -> Result<ExitCode> {
    let cfg = cli.load_config()?;
    // Titles learnt from the feeds themselves, when a database exists; never create one.
    let titles: Vec<(String, String)> = cli
        .db_path()
        .ok()
        .and_then(|p| crate::store::Store::open_read_only(&p).ok())
        .and_then(|s| s.feeds().ok())
        .map(|rows| {
            rows.into_iter()
                .filter_map(|r| r.title.map(|t| (r.name, t)))
                .collect()
        })
        .unwrap_or_default();
    let feeds: Vec<OpmlFeed> = cfg
        .feeds
        .iter()
        .filter(|f| !(args.readers_only && f.kind.is_api()))
        .map(|f| OpmlFeed {
            title: titles
                .iter()
                .find(|(n, _)| *n == f.name)
                .map(|(_, t)| t.clone())
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| f.name.clone()),
            xml_url: f.url.clone(),
            html_url: None,
            kind: Some(f.kind.as_str().to_string()),
            filter: f.filter.as_ref().map(|x| x.source().to_string()),
            schedule: (f.schedule != cfg.schedule.default).then(|| f.schedule.clone()),
        })
        .collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    opml::write("ketlit feeds", &feeds, &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
