//! `ketlit list` and `ketlit search`.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;

use super::output::{OutputFormat, print_entries};
use super::{Cli, FilterArgs};

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Words, "quoted phrases", prefix*, OR, NOT and parentheses; all words must match
    #[arg(value_name = "QUERY", required = true, num_args = 1..)]
    pub query: Vec<String>,
    #[command(flatten)]
    pub filters: FilterArgs,
}

pub fn list(cli: &Cli, args: &ListArgs) -> Result<ExitCode> {
    let filters = args.filters.filters()?;
    let rows = cli.open_store()?.list(&filters)?;
    print_entries(&rows, OutputFormat::resolve(args.filters.format))?;
    Ok(ExitCode::SUCCESS)
}

pub fn search(cli: &Cli, args: &SearchArgs) -> Result<ExitCode> {
    let query = args.query.join(" ");
    if crate::query::fts_query(&query).is_none() {
        bail!("search: the query {query:?} has no words to search for");
    }
    let filters = args.filters.filters()?;
    let rows = cli.open_store()?.search(&query, &filters)?;
    print_entries(&rows, OutputFormat::resolve(args.filters.format))?;
    Ok(ExitCode::SUCCESS)
}
