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
    let mut store = cli.open_store()?;
    complete_index(&mut store)?;
    store.one_query()?;
    let rows = store.search(&query, &filters)?;
    print_entries(&rows, OutputFormat::resolve(args.filters.format))?;
    Ok(ExitCode::SUCCESS)
}

/// Changes a search indexes itself before searching, when no daemon runs to do it: what
/// an interrupted `fetch` or a CLI write left waiting takes well under a second.
const SEARCH_CATCH_UP: u64 = 20_000;

/// Makes sure the search sees every stored entry, or says why it cannot. The index
/// lives in a file of its own and follows the database a little behind (see the
/// README, "The search index"): a running daemon indexes as it goes; otherwise a small
/// backlog is indexed here, and a large one (a rebuild) is left to `fetch` or the
/// daemon, with a note.
fn complete_index(store: &mut crate::store::Store) -> Result<()> {
    let state = store.index_state()?;
    if state.waiting == 0 {
        return Ok(());
    }
    let daemon = crate::lock::running_pid(store.path()).is_some();
    if !daemon && state.waiting <= SEARCH_CATCH_UP {
        store.flush_index()?;
    } else if state.rebuilding {
        eprintln!(
            "ketlit: note: the search index is being rebuilt (about {} entries to go), so results are incomplete; {}",
            state.waiting,
            if daemon {
                "the daemon is on it"
            } else {
                "`ketlit fetch` or the daemon finishes it"
            }
        );
    } else if !daemon {
        eprintln!(
            "ketlit: note: about {} changes are not in the search index yet; `ketlit fetch` or the daemon indexes them",
            state.waiting
        );
    }
    Ok(())
}
