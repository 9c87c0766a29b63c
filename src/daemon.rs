//! The daemon: one cron tick selects the due feeds and runs them on a bounded pool;
//! a lock file keeps it single; SIGINT/SIGTERM drain and exit, SIGHUP reloads the
//! config, and a watchdog covers a scheduler that stops ticking.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::config::Config;
use crate::pipeline::{Ctx, refresh_feed};
use crate::schedule::next_cron;
use crate::store::Store;

/// Space between catch-up starts of overdue feeds, so a restart does not burst.
const CATCH_UP_STAGGER: Duration = Duration::from_millis(250);

/// A systemd user unit that runs this binary's daemon.
pub fn systemd_unit() -> String {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "%h/.cargo/bin/ketlit".into());
    format!(
        "# ~/.config/systemd/user/ketlit.service
# Enable with: systemctl --user daemon-reload && systemctl --user enable --now ketlit
# Logs:        journalctl --user -u ketlit -f
[Unit]
Description=ketlit: ketamine and esketamine literature tracker
Wants=network-online.target
After=network-online.target

[Service]
ExecStart={exe} daemon
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=60
Environment=RUST_LOG=ketlit=info
# SIGTERM lets feeds in flight finish (up to [daemon] shutdown_grace_secs).
TimeoutStopSec=30

[Install]
WantedBy=default.target
"
    )
}

/// The period of a cron expression (the gap between its next two firings).
fn period(expr: &str) -> Duration {
    let now = Utc::now();
    next_cron(expr, now)
        .and_then(|a| next_cron(expr, a).map(|b| (b - a).to_std().unwrap_or_default()))
        .unwrap_or(Duration::from_secs(60))
}

struct Daemon {
    config_flag: Option<PathBuf>,
    ctx: Ctx,
    in_flight: HashSet<String>,
    tasks: JoinSet<String>,
    /// The feed of each task in `tasks`, to free it even when its task panics.
    names: HashMap<tokio::task::Id, String>,
    permits: Arc<Semaphore>,
    stopping: Arc<AtomicBool>,
}

impl Daemon {
    /// Starts refreshes for the due feeds that are not already running.
    async fn tick(&mut self, stagger: Duration) {
        let now = Utc::now();
        if let Err(e) = self.ctx.with_store(move |s| s.heartbeat_tick(now)).await {
            tracing::error!("heartbeat: {e}");
        }
        let due = match self.ctx.with_store(move |s| s.due_feeds(now)).await {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("selecting due feeds: {e}");
                return;
            }
        };
        let mut started = 0u32;
        for name in due {
            if self.in_flight.contains(&name) {
                tracing::debug!(feed = %name, "still running from an earlier tick; not started twice");
                continue;
            }
            let Some(feed) = self.ctx.config.feed(&name).cloned() else {
                continue;
            };
            self.in_flight.insert(name.clone());
            let feed_name = name.clone();
            let (ctx, permits, stopping) = (
                self.ctx.clone(),
                self.permits.clone(),
                self.stopping.clone(),
            );
            let delay = stagger * started;
            started += 1;
            let task = self.tasks.spawn(async move {
                tokio::time::sleep(delay).await;
                let Ok(_permit) = permits.acquire_owned().await else {
                    return name;
                };
                if !stopping.load(Ordering::SeqCst) {
                    refresh_feed(&ctx, &feed).await;
                }
                name
            });
            self.names.insert(task.id(), feed_name);
        }
    }

    /// A feed task ended. `refresh_feed` records its own panics, so one that ends in
    /// a panic here (a bug outside it) is logged and the feed freed to run again.
    async fn finished(&mut self, done: Result<(tokio::task::Id, String), tokio::task::JoinError>) {
        let id = match &done {
            Ok((id, _)) => *id,
            Err(e) => e.id(),
        };
        let name = self.names.remove(&id);
        if let Some(name) = &name {
            self.in_flight.remove(name);
        }
        if let Err(e) = done {
            let feed = name.as_deref().unwrap_or("?");
            tracing::error!(feed, "feed task failed (a bug; please report it): {e}");
        }
    }

    /// SIGHUP: a new config takes effect for the next refreshes; a bad one is refused
    /// and the old one kept.
    async fn reload(&mut self) {
        let loaded = match Config::load(self.config_flag.as_deref()) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("reload refused, keeping the running config: {e}");
                return;
            }
        };
        let ctx = match self.ctx.reload(loaded) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("reload refused, keeping the running config: {e:#}");
                return;
            }
        };
        let loaded = ctx.config.clone();
        let feeds = loaded.feeds.clone();
        if let Err(e) = self
            .ctx
            .with_store(move |s| s.sync_feeds(&feeds, Utc::now()))
            .await
        {
            tracing::error!("reload: {e}");
            return;
        }
        tracing::info!(
            feeds = loaded.feeds.len(),
            "reloaded the config from {}",
            loaded.origin
        );
        self.permits = Arc::new(Semaphore::new(loaded.http.concurrency.max(1)));
        self.ctx = ctx;
    }
}

/// The signals the daemon answers.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }
}

/// Runs the daemon until SIGINT/SIGTERM. `db` must already be locked by the caller.
pub async fn run(config_flag: Option<PathBuf>, cfg: Config, store: Store) -> anyhow::Result<()> {
    let mut store = store;
    store.sync_feeds(&cfg.feeds, Utc::now())?;
    store.heartbeat_start(std::process::id(), Utc::now())?;
    let grace = Duration::from_secs(cfg.daemon.shutdown_grace_secs);
    let tick_expr = cfg.schedule.tick.clone();
    let permits = Arc::new(Semaphore::new(cfg.http.concurrency.max(1)));
    let mut d = Daemon {
        config_flag,
        permits,
        ctx: Ctx::new(cfg, store)?,
        in_flight: HashSet::new(),
        tasks: JoinSet::new(),
        names: HashMap::new(),
        stopping: Arc::new(AtomicBool::new(false)),
    };
    let (mut scheduler, ticks) = start_scheduler(&tick_expr).await?;
    let mut signals = Signals::new()?;
    tracing::info!(pid = std::process::id(), tick = %tick_expr, "daemon started");
    d.tick(CATCH_UP_STAGGER).await; // catch up on overdue feeds at once, spread out
    d.serve(ticks, watchdog_period(&tick_expr), &mut signals)
        .await;
    d.stopping.store(true, Ordering::SeqCst);
    let _ = scheduler.shutdown().await;
    d.drain(grace, &mut signals).await;
    tracing::info!("daemon stopped");
    Ok(())
}

/// The cron job that sends a tick down the returned channel.
async fn start_scheduler(tick_expr: &str) -> anyhow::Result<(JobScheduler, mpsc::Receiver<()>)> {
    let (tick_tx, ticks) = mpsc::channel::<()>(1);
    let scheduler = JobScheduler::new().await?;
    scheduler
        .add(Job::new_async(tick_expr, move |_, _| {
            let tx = tick_tx.clone();
            // A full channel means a tick is already pending: dropping this one is right.
            Box::pin(async move {
                let _ = tx.try_send(());
            })
        })?)
        .await?;
    scheduler.start().await?;
    Ok((scheduler, ticks))
}

/// tokio-cron-scheduler's repeated jobs can stop firing (upstream issue #113): if no
/// tick arrives for three periods, the watchdog ticks instead and says so.
/// KETLIT_WATCHDOG_SECS exists for the test that silences the scheduler.
fn watchdog_period(tick_expr: &str) -> Duration {
    std::env::var("KETLIT_WATCHDOG_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or_else(|| {
            period(tick_expr)
                .saturating_mul(3)
                .max(Duration::from_secs(5))
        })
        .min(Duration::from_secs(24 * 3600))
}

impl Daemon {
    /// Ticks, reaps finished feeds and reloads until SIGTERM or SIGINT.
    async fn serve(&mut self, mut ticks: mpsc::Receiver<()>, watchdog: Duration, s: &mut Signals) {
        let mut last_tick = Instant::now();
        let mut silent = false;
        loop {
            tokio::select! {
                Some(()) = ticks.recv() => {
                    if silent {
                        tracing::info!("scheduler ticks again");
                        silent = false;
                    }
                    last_tick = Instant::now();
                    self.tick(Duration::ZERO).await;
                }
                () = tokio::time::sleep_until(last_tick + watchdog) => {
                    if !silent {
                        tracing::warn!("no scheduler tick for {} s; the watchdog ticks instead", watchdog.as_secs());
                        silent = true;
                    }
                    last_tick = Instant::now();
                    self.tick(Duration::ZERO).await;
                }
                Some(done) = self.tasks.join_next_with_id() => {
                    self.finished(done).await;
                    if self.tasks.is_empty() {
                        self.ctx.flush_index().await;
                    }
                }
                _ = s.hup.recv() => self.reload().await,
                _ = s.term.recv() => return,
                _ = s.int.recv() => return,
            }
        }
    }

    /// Lets the feeds in flight finish, for up to `grace`, then records the stop.
    async fn drain(mut self, grace: Duration, s: &mut Signals) {
        let pending = self.tasks.len();
        if pending > 0 {
            tracing::info!(
                "stopping: waiting up to {} s for {pending} feed(s) in flight",
                grace.as_secs()
            );
        }
        let drained = async { while self.tasks.join_next().await.is_some() {} };
        tokio::select! {
            // Feeds abandoned below leave their entries queued for the next writer.
            () = drained => self.ctx.flush_index().await,
            () = tokio::time::sleep(grace) => {
                tracing::warn!("stopping: abandoning feeds still in flight after {} s; the next start fetches them again", grace.as_secs());
            }
            _ = s.term.recv() => second_signal(),
            _ = s.int.recv() => second_signal(),
        }
        let now = Utc::now();
        // Committed at once, with what the writes before it left open.
        let stopped = self.ctx.with_store(move |s| {
            s.heartbeat_stop(now)
                .and_then(|()| s.commit_group().map(drop))
        });
        if let Err(e) = stopped.await {
            tracing::error!("heartbeat: {e}");
        }
    }
}

/// A second SIGINT/SIGTERM exits at once. SQLite rolls back any open transaction, so
/// nothing committed is lost and nothing half-written is kept.
fn second_signal() -> ! {
    tracing::warn!("second signal: exiting now");
    std::process::exit(130);
}
