//! The daemon end to end: the real binary, a fast tick, a real SQLite file, and a
//! local server that counts requests and can switch its answers.
//!
//! These tests run on the real clock, so they depend on the machine's speed: a
//! paused clock cannot reach into another process, and the daemon's schedule is
//! what they test. Each asserts lower bounds or wide windows, so a slow machine
//! makes them slower but should not make them fail.

#[path = "common/http_server.rs"]
mod http_server;
#[path = "common/test_home.rs"]
mod test_home;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_server::{Reply, Routes, TestServer, Wire};
use serde_json::Value;
use test_home::TestHome;

/// A small RSS 2.0 feed whose items depend on `n`, so each version is new content.
fn rss(n: usize, items: usize) -> Vec<u8> {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Test journal</title><link>https://example.org</link>",
    );
    for i in 0..items {
        s.push_str(&format!(
            "<item><title>Ketamine study {i} version {n}</title><link>https://example.org/a/{i}</link>\
             <guid>urn:test:{i}</guid><description>Esketamine abstract number {i}, revision {n}.</description>\
             <pubDate>Wed, 01 May 2024 10:00:00 GMT</pubDate></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s.into_bytes()
}

test_home::home_newtype!(Env);

impl Env {
    fn new() -> Env {
        Env(TestHome::new())
    }

    /// A config with a one-second tick and the given feeds (name, url, schedule).
    fn write_config(&self, extra: &str, feeds: &[(&str, String, &str)]) {
        // A 2 s drain keeps shutdown tests quick, unless the test sets its own.
        let daemon = if extra.contains("[daemon]") {
            ""
        } else {
            "[daemon]\nshutdown_grace_secs = 2\n"
        };
        let feeds: Vec<_> = feeds
            .iter()
            .map(|(name, url, schedule)| (*name, url.clone(), format!("schedule = \"{schedule}\"")))
            .collect();
        self.write_config_with_feeds(
            &format!(
                "include_builtin_feeds = false\n[http]\nper_host_interval_ms = 0\ntimeout_secs = 20\n\
                 [schedule]\ntick = \"* * * * * *\"\nerror_backoff_secs = 1\n{daemon}{extra}\n"
            ),
            &feeds,
        );
    }

    /// The binary, logging each refresh (the tests read the daemon's log).
    fn command(&self, args: &[&str]) -> Command {
        let mut c = self.0.command(args);
        c.env("RUST_LOG", "ketlit=info");
        c
    }

    /// Starts the daemon and waits until its heartbeat says it runs; if it dies
    /// first, fails with what it logged.
    async fn daemon(&self) -> Daemon {
        self.daemon_with(&[]).await
    }

    /// [`Env::daemon`] with extra environment variables.
    async fn daemon_with(&self, vars: &[(&str, &str)]) -> Daemon {
        let child = self
            .command(&["daemon"])
            .envs(vars.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut d = Daemon { child };
        let end = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = d.child.try_wait().unwrap() {
                let mut log = String::new();
                use std::io::Read;
                d.child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut log)
                    .unwrap();
                panic!("daemon exited with {status} before it was up:\n{log}");
            }
            let up = self.feeds().await["daemon"]["running"] == true;
            if up {
                return d;
            }
            assert!(Instant::now() < end, "daemon not up within 15 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn feeds(&self) -> Value {
        let out = self.run(&["feeds", "list", "--format", "json"]).await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    async fn feed(&self, name: &str) -> Value {
        let all = self.feeds().await;
        all["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no feed {name}: {all:#}"))
    }

    /// Polls `check` on the feed until it holds or `secs` pass.
    async fn wait_feed(&self, name: &str, secs: u64, check: impl Fn(&Value) -> bool) -> Value {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let f = self.feed(name).await;
            if check(&f) {
                return f;
            }
            assert!(
                Instant::now() < end,
                "timed out waiting on feed {name}: {f:#}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

struct Daemon {
    child: Child,
}

impl Daemon {
    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }

    /// Sends SIGTERM and returns the exit code and everything logged.
    async fn stop(mut self) -> (Option<i32>, String) {
        self.signal("-TERM");
        tokio::task::spawn_blocking(move || {
            let end = Instant::now() + Duration::from_secs(10);
            loop {
                if let Some(status) = self.child.try_wait().unwrap() {
                    let mut log = String::new();
                    use std::io::Read;
                    self.child
                        .stderr
                        .take()
                        .unwrap()
                        .read_to_string(&mut log)
                        .unwrap();
                    return (status.code(), log);
                }
                assert!(Instant::now() < end, "daemon did not stop within 10 s");
                std::thread::sleep(Duration::from_millis(50));
            }
        })
        .await
        .unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A daemon with one feed `f` of `items` entries on a yearly schedule, so the
/// catch-up at start-up is its only fetch, once that fetch has succeeded.
async fn caught_up_daemon(items: usize) -> (TestServer, Env, Daemon) {
    let server =
        TestServer::start(Routes::new().handle("/f.xml", move |_| Reply::ok(rss(0, items)))).await;
    let env = Env::new();
    env.write_config("", &[("f", server.url("/f.xml"), "0 0 0 1 1 *")]);
    let d = env.daemon().await;
    env.wait_feed("f", 10, |f| f["last_status"] == "ok").await;
    (server, env, d)
}

fn secs(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .timestamp()
}

#[tokio::test(flavor = "multi_thread")]
async fn polls_on_its_schedule_and_logs_one_line_per_refresh() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let server = TestServer::start(Routes::new().handle("/f.xml", move |_| {
        let n = h.fetch_add(1, Ordering::SeqCst);
        Reply::ok(rss(n, 3))
    }))
    .await;
    let env = Env::new();
    env.write_config("", &[("f", server.url("/f.xml"), "*/2 * * * * *")]);
    let d = env.daemon().await;
    tokio::time::sleep(Duration::from_millis(6500)).await;
    let (code, log) = d.stop().await;
    assert_eq!(code, Some(0), "{log}");
    let n = hits.load(Ordering::SeqCst);
    // At start (a new feed is due at once), then every 2 s: 3 or 4 in 6.5 s.
    assert!((3..=5).contains(&n), "{n} fetches in 6.5 s:\n{log}");
    let refreshes = log
        .lines()
        .filter(|l| l.contains("refreshed") && l.contains("feed=f"))
        .count();
    assert_eq!(refreshes, n, "one log line per refresh:\n{log}");
    assert!(log.contains("new=3") && log.contains("updated=3"), "{log}");
    assert!(log.contains("daemon stopped"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn backoff_grows_while_failing_and_resets_on_success() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let server = TestServer::start(Routes::new().handle("/f.xml", move |_| {
        // Fails three times, then recovers.
        if h.fetch_add(1, Ordering::SeqCst) < 3 {
            Reply::status(500)
        } else {
            Reply::ok(rss(0, 1))
        }
    }))
    .await;
    let env = Env::new();
    env.write_config("", &[("f", server.url("/f.xml"), "* * * * * *")]);
    let d = env.daemon().await;
    let f = env.wait_feed("f", 30, |f| f["last_status"] == "ok").await;
    assert_eq!(
        f["consecutive_errors"], 0,
        "the first success resets the count"
    );
    assert!(
        f["next_due_reason"]
            .as_str()
            .unwrap()
            .starts_with("schedule"),
        "{f:#}"
    );
    let (code, log) = d.stop().await;
    assert_eq!(code, Some(0), "{log}");
    // The server saw the tries: after failures 1, 2 and 3 the waits are 1 s, 2 s and
    // 4 s (whole seconds, plus up to 25% jitter): each longer than the last.
    let at: Vec<Instant> = server.requests_to("/f.xml").iter().map(|r| r.at).collect();
    assert!(at.len() >= 4, "{log}");
    let gaps: Vec<f64> = at
        .windows(2)
        .take(3)
        .map(|w| (w[1] - w[0]).as_secs_f64())
        .collect();
    assert!(gaps[1] >= 1.5 && gaps[2] >= 3.5, "{gaps:?}");
    assert!(gaps[0] < gaps[2] && gaps[1] < gaps[2], "{gaps:?}");
    assert_eq!(
        log.matches("backoff").count(),
        0,
        "reasons live in feeds list, not the log"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_honoured() {
    let server = TestServer::start(
        Routes::new()
            .reply(
                "/busy.xml",
                Reply::status(503).header("Retry-After", "7200"),
            )
            .reply(
                "/limited.xml",
                Reply::status(429).header("Retry-After", "Wed, 21 Oct 2099 07:28:00 GMT"),
            ),
    )
    .await;
    let env = Env::new();
    env.write_config(
        "",
        &[
            ("busy", server.url("/busy.xml"), "* * * * * *"),
            ("limited", server.url("/limited.xml"), "* * * * * *"),
        ],
    );
    let d = env.daemon().await;
    let busy = env
        .wait_feed("busy", 10, |f| f["consecutive_errors"] == 1)
        .await;
    let limited = env
        .wait_feed("limited", 10, |f| f["consecutive_errors"] == 1)
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (code, log) = d.stop().await;
    assert_eq!(code, Some(0), "{log}");
    let wait = secs(&busy["next_due_at"]) - secs(&busy["last_fetch_at"]);
    assert!((7200..=7300).contains(&wait), "{busy:#}");
    assert!(
        busy["next_due_reason"]
            .as_str()
            .unwrap()
            .contains("retry after"),
        "{busy:#}"
    );
    // A date decades away is clamped to the longest backoff, 24 h.
    let wait = secs(&limited["next_due_at"]) - secs(&limited["last_fetch_at"]);
    assert!((24 * 3600..=24 * 3600 + 5).contains(&wait), "{limited:#}");
    assert_eq!(
        server.hits("/busy.xml"),
        1,
        "not asked again before Retry-After"
    );
    assert_eq!(server.hits("/limited.xml"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_of_ten_trillion_seconds_is_clamped_and_fetch_does_not_panic() {
    let server = TestServer::start(Routes::new().reply(
        "/f.xml",
        Reply::status(503).header("Retry-After", "10000000000000"),
    ))
    .await;
    let env = Env::new();
    env.write_config("", &[("f", server.url("/f.xml"), "0 0 * * * *")]);
    let out = env.run(&["fetch"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a failed feed, not a crash: {stderr}"
    );
    let f = env.feed("f").await;
    let wait = secs(&f["next_due_at"]) - secs(&f["last_fetch_at"]);
    assert!((24 * 3600..=24 * 3600 + 5).contains(&wait), "{f:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_feed_task_is_logged_recorded_and_scheduled_again_with_backoff() {
    let server =
        TestServer::start(Routes::new().handle("/ok.xml", move |_| Reply::ok(rss(0, 2)))).await;
    let env = Env::new();
    env.write_config(
        "",
        &[
            ("boom", server.url("/boom.xml"), "* * * * * *"),
            ("ok", server.url("/ok.xml"), "* * * * * *"),
        ],
    );
    let d = env
        .daemon_with(&[("KETLIT_FAILPOINT_PANIC_FEED", "boom")])
        .await;
    // Retried after its backoff (1 s, then 2 s): the feed is not left "in flight".
    let boom = env
        .wait_feed("boom", 20, |f| f["consecutive_errors"].as_u64() >= Some(2))
        .await;
    env.wait_feed("ok", 10, |f| f["last_status"] == "ok").await;
    let (code, log) = d.stop().await;
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(boom["last_status"], "error", "{boom:#}");
    let error = boom["last_error"].as_str().unwrap();
    assert!(error.contains("panicked"), "{boom:#}");
    assert!(
        boom["next_due_reason"]
            .as_str()
            .unwrap()
            .contains("backoff"),
        "{boom:#}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("ERROR") && l.contains("feed=boom") && l.contains("panicked")),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn gone_disables_and_three_permanent_redirects_repoint() {
    let server = TestServer::start(
        Routes::new()
            .reply("/gone.xml", Reply::status(410))
            .reply("/old.xml", Reply::redirect(301, "/new.xml"))
            .handle("/new.xml", |_| Reply::ok(rss(0, 2))),
    )
    .await;
    let env = Env::new();
    env.write_config(
        "",
        &[
            ("gone", server.url("/gone.xml"), "* * * * * *"),
            ("moving", server.url("/old.xml"), "* * * * * *"),
        ],
    );
    let d = env.daemon().await;
    let gone = env
        .wait_feed("gone", 10, |f| !f["disabled_reason"].is_null())
        .await;
    assert!(
        gone["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("410 Gone"),
        "{gone:#}"
    );
    let moved = env
        .wait_feed("moving", 15, |f| !f["moved_to"].is_null())
        .await;
    assert_eq!(moved["moved_to"].as_str().unwrap(), server.url("/new.xml"));
    assert_eq!(
        moved["url"].as_str().unwrap(),
        server.url("/old.xml"),
        "config URL kept"
    );
    let old_hits = server.hits("/old.xml");
    assert_eq!(old_hits, 3);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        server.hits("/old.xml"),
        old_hits,
        "fetched from the new URL now"
    );
    assert!(server.hits("/new.xml") > old_hits);
    assert_eq!(
        server.hits("/gone.xml"),
        1,
        "a gone feed is not fetched again"
    );
    let table = env.run(&["feeds", "list"]).await;
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("DISABLED: the server answered 410 Gone"),
        "{text}"
    );
    assert!(text.contains("moved permanently: fetched from"), "{text}");
    assert!(text.contains("daemon: running (pid"), "{text}");

    let out = env.run(&["feeds", "retry", "gone"]).await;
    assert!(out.status.success());
    let start = Instant::now();
    while server.hits("/gone.xml") < 2 && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (code, log) = d.stop().await;
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(
        server.hits("/gone.xml"),
        2,
        "retry re-enables the feed: {log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn overdue_feeds_run_at_once_after_a_restart() {
    // Yearly: only catch-up can explain a fetch at start.
    let (server, env, d) = caught_up_daemon(1).await;
    let (code, _) = d.stop().await;
    assert_eq!(code, Some(0));
    assert_eq!(server.hits("/f.xml"), 1);

    let d = env.daemon().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(server.hits("/f.xml"), 1, "not due: not fetched");
    drop(d);
    // Make it overdue while no daemon runs, as a long downtime would.
    assert!(env.run(&["feeds", "retry", "f"]).await.status.success());
    let started = Instant::now();
    let d = env.daemon().await;
    while server.hits("/f.xml") < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "overdue feed not caught up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_fetch_exits_0_and_writes_nothing_partial() {
    let server = TestServer::start(Routes::new().reply(
        "/slow.xml",
        Reply::ok(rss(0, 50)).wire(Wire::Drip(Duration::from_millis(20))),
    ))
    .await;
    let env = Env::new();
    env.write_config("", &[("slow", server.url("/slow.xml"), "* * * * * *")]);
    let d = env.daemon().await;
    let start = Instant::now();
    while server.hits("/slow.xml") == 0 {
        assert!(start.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = Instant::now();
    let (code, log) = d.stop().await;
    assert_eq!(code, Some(0), "{log}");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "bounded by the 2 s grace: {:?}",
        t.elapsed()
    );
    assert!(
        log.contains("waiting up to 2 s for 1 feed(s) in flight"),
        "{log}"
    );
    let f = env.feed("slow").await;
    assert!(f["last_fetch_at"].is_null(), "{f:#}");
    assert_eq!(f["entries"], 0);
    let list = env.run(&["list", "--format", "json"]).await;
    assert_eq!(
        serde_json::from_slice::<Value>(&list.stdout).unwrap(),
        serde_json::json!([])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_adds_a_feed_and_a_bad_config_is_refused_keeping_the_old() {
    let server = TestServer::start(
        Routes::new()
            .handle("/a.xml", |_| Reply::ok(rss(0, 1)))
            .handle("/b.xml", |_| Reply::ok(rss(1, 2))),
    )
    .await;
    let env = Env::new();
    env.write_config("", &[("a", server.url("/a.xml"), "*/2 * * * * *")]);
    let d = env.daemon().await;
    env.wait_feed("a", 10, |f| f["last_status"] == "ok").await;

    std::fs::write(env.config(), "[[feed]]\nname = \"a\"\nkind = \"podcast\"\n").unwrap();
    d.signal("-HUP");
    let before = server.hits("/a.xml");
    let start = Instant::now();
    // The refused reload keeps the old config running: `a` is fetched again.
    while server.hits("/a.xml") == before {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the old config stopped running"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    env.write_config(
        "",
        &[
            ("a", server.url("/a.xml"), "*/2 * * * * *"),
            ("b", server.url("/b.xml"), "*/2 * * * * *"),
        ],
    );
    d.signal("-HUP");
    env.wait_feed("b", 10, |f| f["last_status"] == "ok").await;
    let a_hits = server.hits("/a.xml");
    let (code, log) = d.stop().await;
    assert_eq!(code, Some(0), "{log}");
    assert!(
        log.contains("reload refused, keeping the running config"),
        "{log}"
    );
    assert!(log.contains("reloaded the config"), "{log}");
    assert!(
        a_hits >= 2,
        "the old config kept running after the refused reload"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_daemon_is_refused_naming_the_first_ones_pid() {
    let (_server, env, d) = caught_up_daemon(1).await;
    let second = env.run(&["daemon"]).await;
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    let pid = d.child.id().to_string();
    assert!(
        err.contains(&format!(
            "another ketlit daemon (pid {pid}) is already running"
        )),
        "{err}"
    );
    let status = env.feeds().await;
    assert_eq!(status["daemon"]["running"], true);
    assert_eq!(status["daemon"]["pid"].to_string(), pid);
    d.stop().await;
    let status = env.feeds().await;
    assert_eq!(status["daemon"]["running"], false);
    assert!(!status["daemon"]["stopped_at"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_become_searchable_once_the_daemons_feeds_in_flight_finish() {
    // A yearly schedule: only the catch-up run at start-up fetches, then nothing writes.
    let (_server, env, d) = caught_up_daemon(5).await;
    let mut found = 0;
    for _ in 0..50 {
        found = env
            .json(&["search", "esketamine", "--format", "json"])
            .await
            .as_array()
            .map_or(0, Vec::len);
        if found == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        found, 5,
        "the daemon left its entries out of the search index"
    );
    let (code, log) = d.stop().await;
    assert_eq!(code, Some(0), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_feeds_entries_are_committed_while_another_feed_is_still_in_flight() {
    // Writes share a transaction, committed when it falls due or the daemon's burst of
    // feeds ends; a feed that hangs must not hold back what the others stored.
    let server = TestServer::start(
        Routes::new()
            .handle("/fast.xml", |_| Reply::ok(rss(0, 3)))
            .reply("/slow.xml", Reply::ok("x").wire(Wire::Hang)),
    )
    .await;
    let env = Env::new();
    env.write_config(
        "",
        &[
            ("fast", server.url("/fast.xml"), "0 0 0 1 1 *"),
            ("slow", server.url("/slow.xml"), "0 0 0 1 1 *"),
        ],
    );
    let d = env.daemon().await;
    env.wait_feed("fast", 5, |f| f["last_status"] == "ok").await;
    let listed = env.json(&["list", "--format", "json"]).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(3), "{listed:#}");
    let slow = env.feed("slow").await;
    assert!(slow["last_status"].is_null(), "slow answered: {slow:#}");
    let (code, log) = d.stop().await;
    assert_eq!(code, Some(0), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_readers_never_fail_while_the_daemon_writes() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    // 400 items that change on every fetch: each refresh is a real write.
    let server = TestServer::start(Routes::new().handle("/big.xml", move |_| {
        Reply::ok(rss(h.fetch_add(1, Ordering::SeqCst), 400))
    }))
    .await;
    let env = Env::new();
    env.write_config("", &[("big", server.url("/big.xml"), "* * * * * *")]);
    let d = env.daemon().await;
    env.wait_feed("big", 10, |f| f["last_status"] == "ok").await;
    let mut failures = Vec::new();
    let mut seen_partial = false;
    for i in 0..150 {
        let args: &[&str] = match i % 3 {
            0 => &["list", "--format", "json", "--limit", "0"],
            1 => &["search", "esketamine", "--format", "json", "--limit", "0"],
            _ => &["show", "1", "--format", "json"],
        };
        let out = env.run(args).await;
        if !out.status.success() {
            failures.push(String::from_utf8_lossy(&out.stderr).into_owned());
            continue;
        }
        if i % 3 == 0 {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            // A feed's ingest is one transaction: a reader sees all 400 items or none
            // of a version, never a mix of two versions.
            let versions: std::collections::HashSet<String> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    e["title"]
                        .as_str()
                        .unwrap()
                        .rsplit(' ')
                        .next()
                        .unwrap()
                        .to_string()
                })
                .collect();
            seen_partial |= v.as_array().unwrap().len() != 400 || versions.len() != 1;
        }
    }
    let writes = hits.load(Ordering::SeqCst);
    let (code, log) = d.stop().await;
    assert_eq!(code, Some(0), "{log}");
    assert!(
        failures.is_empty(),
        "{} failed reads: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    assert!(!seen_partial, "a reader saw a half-written feed");
    assert!(
        writes >= 3,
        "the daemon wrote while we read ({writes} refreshes)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn print_systemd_unit_prints_a_unit() {
    let env = Env::new();
    env.write_config("", &[]);
    let out = env.run(&["daemon", "--print-systemd-unit"]).await;
    assert!(out.status.success());
    let unit = String::from_utf8_lossy(&out.stdout);
    assert!(
        unit.contains("[Service]") && unit.contains("ExecStart=") && unit.contains(" daemon"),
        "{unit}"
    );
    assert!(
        unit.contains("ExecReload=/bin/kill -HUP $MAINPID"),
        "{unit}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_signal_exits_at_once_and_the_database_stays_sound() {
    let server = TestServer::start(Routes::new().reply(
        "/slow.xml",
        Reply::ok(rss(0, 50)).wire(Wire::Drip(Duration::from_millis(50))),
    ))
    .await;
    let env = Env::new();
    env.write_config(
        "[daemon]\nshutdown_grace_secs = 60",
        &[("slow", server.url("/slow.xml"), "* * * * * *")],
    );
    let mut d = env.daemon().await;
    let start = Instant::now();
    while server.hits("/slow.xml") == 0 {
        assert!(start.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    d.signal("-TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        d.child.try_wait().unwrap().is_none(),
        "still draining within its 60 s grace"
    );
    let t = Instant::now();
    let (code, log) = d.stop().await;
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert_eq!(code, Some(130), "{log}");
    assert!(log.contains("second signal: exiting now"), "{log}");
    let check = env.run(&["list", "--format", "json"]).await;
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let f = env.feed("slow").await;
    assert_eq!(f["entries"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_watchdog_ticks_when_the_scheduler_goes_silent() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let server = TestServer::start(Routes::new().handle("/f.xml", move |_| {
        Reply::ok(rss(h.fetch_add(1, Ordering::SeqCst), 1))
    }))
    .await;
    let env = Env::new();
    env.write_config("", &[("f", server.url("/f.xml"), "* * * * * *")]);
    // A tick that fires once a year: after the start-up catch-up, only the watchdog
    // can start the feed again, as when tokio-cron-scheduler stops firing.
    let text = std::fs::read_to_string(env.config())
        .unwrap()
        .replace("tick = \"* * * * * *\"", "tick = \"0 0 0 1 1 *\"");
    std::fs::write(env.config(), text).unwrap();
    let child = env
        .command(&["daemon"])
        .env("KETLIT_WATCHDOG_SECS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let d = Daemon { child };
    let start = Instant::now();
    while hits.load(Ordering::SeqCst) < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the watchdog did not tick"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, log) = d.stop().await;
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(
        log.matches("no scheduler tick for 1 s; the watchdog ticks instead")
            .count(),
        1,
        "warned once per silence, not on every watchdog tick:\n{log}"
    );
}
