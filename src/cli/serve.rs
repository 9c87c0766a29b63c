//! `ketlit serve`: starts the read-only HTTP server on loopback unless told otherwise.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::Cli;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on; loopback by default (put a reverse proxy in front to share it)
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
}

pub fn run(cli: &Cli, args: &ServeArgs) -> Result<ExitCode> {
    let db = cli.db_path()?;
    // Fail now, not on the first request, if the database is missing or too old.
    crate::store::Store::open_read_only(&db)?;
    super::runtime()?.block_on(async {
        let listener = crate::serve::bind(args.addr).await?;
        let local = listener.local_addr()?;
        // Tests and scripts read this line to learn the port when --addr asks for :0.
        writeln!(std::io::stdout(), "listening on http://{local}/")?;
        std::io::stdout().flush()?;
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let shutdown = async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        };
        crate::serve::serve(listener, db, shutdown).await?;
        Ok(ExitCode::SUCCESS)
    })
}
