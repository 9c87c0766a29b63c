//! `ketlit show ID`: one entry whole.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;

use super::Cli;
use super::output::{date, datetime};
use crate::store::EntryDetail;

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The entry's id (from list or search)
    pub id: i64,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: ShowFormat,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum ShowFormat {
    Text,
    Json,
}

pub fn run(cli: &Cli, args: &ShowArgs) -> Result<ExitCode> {
    let store = cli.open_store()?;
    let Some(d) = store.show(args.id)? else {
        bail!("no entry with id {} in {}", args.id, store.path().display());
    };
    match args.format {
        ShowFormat::Json => writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&d)?)?,
        ShowFormat::Text => {
            let titles = d
                .summary
                .links
                .iter()
                .map(|l| {
                    Ok(store
                        .show(l.id)?
                        .map(|x| x.summary.title)
                        .unwrap_or_default())
                })
                .collect::<Result<Vec<String>>>()?;
            print_text(&d, &titles)?
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    for para in text.split('\n').filter(|p| !p.trim().is_empty()) {
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push_str(indent);
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// `titles` are the linked works' titles, in the order of `d.summary.links`.
fn print_text(d: &EntryDetail, titles: &[String]) -> Result<()> {
    let s = &d.summary;
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    if let Some(b) = super::changes::banner(d) {
        writeln!(o, "{b}")?;
        writeln!(o)?;
    }
    writeln!(o, "#{}  {}", s.id, s.title)?;
    writeln!(o)?;
    writeln!(o, "  Published   {}", date(s.published))?;
    if d.updated.is_some() {
        writeln!(o, "  Updated     {}", date(d.updated))?;
    }
    writeln!(o, "  First seen  {}", datetime(d.first_seen))?;
    writeln!(o, "  Journal     {}", or_dash(&s.journal))?;
    if !d.authors.is_empty() {
        writeln!(
            o,
            "{}",
            wrap(&d.authors.join(", "), 84, "              ")
                .trim_end()
                .replacen("              ", "  Authors     ", 1)
        )?;
    }
    writeln!(o, "  Link        {}", or_dash(&s.link))?;
    writeln!(o)?;
    writeln!(o, "  Identifiers")?;
    match &s.doi {
        Some(doi) => writeln!(o, "    DOI       {doi}  (https://doi.org/{doi})")?,
        None => writeln!(o, "    DOI       -")?,
    }
    match &s.pmid {
        Some(p) => writeln!(
            o,
            "    PMID      {p}  (https://pubmed.ncbi.nlm.nih.gov/{p}/)"
        )?,
        None => writeln!(o, "    PMID      -")?,
    }
    writeln!(o, "    PMCID     {}", or_dash(&s.pmcid))?;
    writeln!(o, "    NCT       {}", or_dash(&s.nct_id))?;
    writeln!(o)?;
    writeln!(o, "  Seen in {} source(s)", d.seen_in.len())?;
    for x in &d.seen_in {
        writeln!(
            o,
            "    {:<24} first {}  last {}",
            x.feed,
            datetime(x.first_seen),
            datetime(x.last_seen)
        )?;
        writeln!(o, "      guid {}", x.guid)?;
        if let Some(l) = x.link.as_ref().filter(|l| **l != x.guid) {
            writeln!(o, "      link {l}")?;
        }
    }
    writeln!(o)?;
    if d.evidence.is_empty() {
        writeln!(o, "  Tags        (none)")?;
    } else {
        writeln!(o, "  Tags")?;
        for ev in &d.evidence {
            let why = match (&ev.field, &ev.phrase) {
                (Some(f), Some(p)) => format!("{f}: \"{p}\""),
                (Some(f), None) => f.clone(),
                _ => String::new(),
            };
            writeln!(o, "    {:<22} {why}", ev.tag)?;
        }
    }
    if !s.links.is_empty() {
        writeln!(o, "  Links")?;
        for (l, title) in s.links.iter().zip(titles) {
            writeln!(o, "    {:<14} #{:<7} {title}", l.rel, l.id)?;
        }
    }
    super::changes::write_events(&mut o, d)?;
    for (label, list) in [
        ("MeSH", &d.mesh),
        ("Publication types", &d.publication_types),
        ("Categories", &d.categories),
    ] {
        if !list.is_empty() {
            writeln!(o, "  {label}")?;
            write!(o, "{}", wrap(&list.join("; "), 80, "    "))?;
        }
    }
    if let Some(a) = &d.abstract_ {
        writeln!(o)?;
        writeln!(o, "  Abstract")?;
        write!(o, "{}", wrap(a, 80, "    "))?;
    }
    Ok(())
}
