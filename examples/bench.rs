//! The ingest and query benchmark: a deterministic corpus served from 127.0.0.1, a
//! cold and a warm `ketlit fetch` (wall time, peak RSS), quick-xml's tokenise-only
//! throughput over the same bytes, and whole-process query latency on a large
//! database built through the store code.
//!
//! `serve`'s answers over that database are timed too (see `bench_parts/serve.rs`).
//!
//! Run: `cargo run --release --example bench` (defaults: 500 feeds × 100 entries,
//! 1,000,000 entries for the query part). `--smoke` runs a tiny version (CI).

#[path = "bench_parts/serve.rs"]
mod serve;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use ketlit::config::FeedConfig;
use ketlit::model::{FeedInfo, Format, Kind, RawEntry};
use ketlit::store::Store;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

struct Opts {
    feeds: usize,
    entries: usize,
    query_entries: usize,
    runs: usize,
    out: PathBuf,
    serve_only: bool,
}

fn opts() -> Opts {
    let mut o = Opts {
        feeds: 500,
        entries: 100,
        query_entries: 1_000_000,
        runs: 30,
        out: PathBuf::from("target/bench"),
        serve_only: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = || {
            it.next()
                .and_then(|v| v.parse::<usize>().ok())
                .expect("a number")
        };
        match a.as_str() {
            "--feeds" => o.feeds = num(),
            "--entries" => o.entries = num(),
            "--query-entries" => o.query_entries = num(),
            "--runs" => o.runs = num(),
            "--out" => o.out = PathBuf::from(it.next().expect("a path")),
            // Serve the corpus and wait, for profiling `ketlit fetch` by hand.
            "--serve-only" => o.serve_only = true,
            "--smoke" => {
                o.feeds = 10;
                o.entries = 20;
                o.query_entries = 2_000;
                o.runs = 3;
            }
            other => panic!("unknown argument {other}"),
        }
    }
    o
}

// ---- corpus --------------------------------------------------------------

const WORDS: &[&str] = &[
    "ketamine",
    "esketamine",
    "depression",
    "treatment-resistant",
    "randomized",
    "placebo",
    "patients",
    "infusion",
    "intranasal",
    "response",
    "remission",
    "suicidal",
    "ideation",
    "glutamate",
    "NMDA",
    "receptor",
    "synaptic",
    "plasticity",
    "cohort",
    "trial",
    "outcomes",
    "MADRS",
    "score",
    "week",
    "baseline",
    "significant",
    "reduction",
    "anxiety",
    "PTSD",
    "adolescents",
    "adults",
    "dose",
    "mg/kg",
    "safety",
    "dissociation",
    "blood",
    "pressure",
    "clinical",
    "study",
    "analysis",
    "mechanism",
    "prefrontal",
    "cortex",
    "BDNF",
    "mTOR",
    "rapid",
    "antidepressant",
    "effects",
    "observed",
    "compared",
    "with",
    "the",
    "and",
    "of",
    "in",
    "a",
    "to",
    "was",
    "were",
    "for",
    "after",
    "during",
    "between",
    "groups",
];

fn words(rng: &mut fastrand::Rng, min_chars: usize, max_chars: usize) -> String {
    let target = rng.usize(min_chars..=max_chars);
    let mut s = String::with_capacity(target + 16);
    while s.len() < target {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(WORDS[rng.usize(..WORDS.len())]);
    }
    s
}

/// An abstract of `min_chars..=max_chars`: sentences of 8 to 24 words, each
/// capitalised and closed by a full stop, as real abstracts are written (the
/// tagger reads cues within a sentence, so one endless run-on sentence would cost
/// it far more than real text does). `structured` adds the section labels of a
/// structured abstract (PubMed's) after its first quarter, half and three quarters.
fn abstract_text(
    rng: &mut fastrand::Rng,
    min_chars: usize,
    max_chars: usize,
    structured: bool,
) -> String {
    const LABELS: [&str; 3] = ["METHODS:", "RESULTS:", "CONCLUSIONS:"];
    let target = rng.usize(min_chars..=max_chars);
    let mut s = String::with_capacity(target + 200);
    let mut label = 0;
    while s.len() < target {
        if !s.is_empty() {
            s.push(' ');
        }
        if structured && label < LABELS.len() && s.len() * 4 >= target * (label + 1) {
            s.push_str(LABELS[label]);
            s.push(' ');
            label += 1;
        }
        for k in 0..rng.usize(8..=24) {
            let w = WORDS[rng.usize(..WORDS.len())];
            if k == 0 {
                let mut c = w.chars();
                s.extend(c.next().map(|f| f.to_ascii_uppercase()));
                s.push_str(c.as_str());
            } else {
                s.push(' ');
                s.push_str(w);
            }
        }
        s.push('.');
    }
    // The last sentence may overshoot: end at the last full stop that fits.
    if s.len() > max_chars
        && let Some(end) = s[..max_chars].rfind(". ")
    {
        s.truncate(end + 1);
    }
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What a corpus is made of.
#[derive(Clone, Copy)]
struct Shape {
    /// The length of an abstract, in characters (about 7.5 a word here).
    abstract_chars: (usize, usize),
    /// Table-of-contents items carry their abstract again as `content:encoded` HTML.
    toc_html: bool,
    /// Feeds 2k and 2k+1 share the DOIs of their first `1 / shared_per` entries.
    shared_per: usize,
}

/// The corpus the speed figures have always been measured on: 10% of the works
/// appear in two feeds.
const STANDARD: Shape = Shape {
    abstract_chars: (300, 2000),
    toc_html: false,
    shared_per: 5,
};

/// The memory target's corpus: abstracts of 250-400 words, TOC items with
/// `content:encoded` HTML, and a fifth of the works arriving twice (sharing a third
/// of each pair's entries: n/3 of 2n - n/3 works).
const DEMANDING: Shape = Shape {
    abstract_chars: (1875, 3000),
    toc_html: true,
    shared_per: 3,
};

fn doi(feed: usize, entry: usize, per_feed: usize, shape: Shape) -> String {
    if entry < per_feed / shape.shared_per {
        format!("10.5555/shared.{}.{entry}", feed / 2)
    } else {
        format!("10.5555/bench.{feed}.{entry}")
    }
}

fn make_feed(i: usize, n: usize, shape: Shape) -> Vec<u8> {
    let (lo, hi) = shape.abstract_chars;
    let mut rng = fastrand::Rng::with_seed(i as u64);
    let mut s = String::with_capacity(n * 1500);
    let date = |j: usize| {
        Utc.timestamp_opt(1_700_000_000 - (i * n + j) as i64 * 600, 0)
            .unwrap()
    };
    match i % 4 {
        0 => {
            s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n<channel><title>pubmed: ketamine</title><link>https://pubmed.ncbi.nlm.nih.gov/</link><description>PubMed search</description>\n");
            for j in 0..n {
                let pmid = 30_000_000 + i * 1000 + j;
                s.push_str(&format!(
                    "<item><title>{}</title><link>https://pubmed.ncbi.nlm.nih.gov/{pmid}/</link><guid isPermaLink=\"false\">pubmed:{pmid}</guid><description>{}</description><content:encoded><![CDATA[<p><b>BACKGROUND:</b> {}</p>]]></content:encoded><dc:creator>Smith J</dc:creator><dc:creator>Doe A</dc:creator><dc:date>{}</dc:date><dc:identifier>doi:{}</dc:identifier><dc:identifier>pmid:{pmid}</dc:identifier><pubDate>{}</pubDate></item>\n",
                    esc(&words(&mut rng, 60, 140)),
                    esc(&words(&mut rng, 100, 200)),
                    abstract_text(&mut rng, lo, hi, true),
                    date(j).format("%Y-%m-%d"),
                    doi(i, j, n, shape),
                    date(j).to_rfc2822()
                ));
            }
            s.push_str("</channel></rss>\n");
        }
        1 => {
            s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:prism=\"http://prismstandard.org/namespaces/basic/2.0/\">\n<channel rdf:about=\"https://www.nature.com/mp.rss\"><title>Molecular Psychiatry</title><link>https://www.nature.com/mp</link><description>Nature</description></channel>\n");
            for j in 0..n {
                let d = doi(i, j, n, shape);
                s.push_str(&format!(
                    "<item rdf:about=\"https://www.nature.com/articles/{d}\"><title>{}</title><link>https://www.nature.com/articles/{d}</link><description>{}</description><dc:creator>Alice Smith</dc:creator><dc:date>{}</dc:date><prism:doi>{d}</prism:doi><prism:publicationName>Molecular Psychiatry</prism:publicationName></item>\n",
                    esc(&words(&mut rng, 60, 140)),
                    esc(&abstract_text(&mut rng, lo, hi, false)),
                    date(j).to_rfc3339(),
                ));
            }
            s.push_str("</rdf:RDF>\n");
        }
        2 => {
            s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:arxiv=\"http://arxiv.org/schemas/atom\"><title>arXiv query results</title><id>http://arxiv.org/api/q</id><updated>2024-01-01T00:00:00Z</updated>\n");
            for j in 0..n {
                s.push_str(&format!(
                    "<entry><id>http://arxiv.org/abs/2401.{:05}v1</id><title>{}</title><summary>{}</summary><published>{}</published><updated>{}</updated><author><name>Ann Author</name></author><link href=\"http://arxiv.org/abs/2401.{:05}v1\" rel=\"alternate\" type=\"text/html\"/><arxiv:doi>{}</arxiv:doi><category term=\"q-bio.NC\"/></entry>\n",
                    i * 100 + j,
                    esc(&words(&mut rng, 60, 140)),
                    esc(&abstract_text(&mut rng, lo, hi, false)),
                    date(j).to_rfc3339(),
                    date(j).to_rfc3339(),
                    i * 100 + j,
                    doi(i, j, n, shape)
                ));
            }
            s.push_str("</feed>\n");
        }
        _ => {
            s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>Journal of Affective Disorders</title><link>https://www.sciencedirect.com/journal/x</link><description>TOC</description>\n");
            for j in 0..n {
                let d = doi(i, j, n, shape);
                let text = abstract_text(&mut rng, lo, hi, false);
                let html = if shape.toc_html {
                    format!(
                        "<content:encoded><![CDATA[<div class=\"toc\"><p><b>Publication date:</b> May 2024</p><p><b>Source:</b> Journal of Affective Disorders, Volume 350</p><h3>Abstract</h3><p>{text}</p><ul><li>Highlights: {}</li></ul></div>]]></content:encoded>",
                        words(&mut rng, 100, 200)
                    )
                } else {
                    String::new()
                };
                s.push_str(&format!(
                    "<item><title>{}</title><link>https://doi.org/{d}</link><guid>https://doi.org/{d}</guid><description>&lt;p&gt;Publication date: May 2024&lt;/p&gt;&lt;p&gt;{}&lt;/p&gt;</description>{html}<pubDate>{}</pubDate></item>\n",
                    esc(&words(&mut rng, 60, 140)),
                    esc(&text),
                    date(j).to_rfc2822()
                ));
            }
            s.push_str("</channel></rss>\n");
        }
    }
    s.into_bytes()
}

// ---- a conditional-GET server on 127.0.0.1 -------------------------------

async fn serve(listener: TcpListener, corpus: Arc<Vec<Vec<u8>>>) {
    const LAST_MODIFIED: &str = "Wed, 01 May 2024 10:00:00 GMT";
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let corpus = corpus.clone();
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut r = BufReader::new(r);
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                let mut inm = None;
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':')
                        && k.eq_ignore_ascii_case("if-none-match")
                    {
                        inm = Some(v.trim().to_string());
                    }
                }
                let idx: Option<usize> = path
                    .strip_prefix("/feed/")
                    .and_then(|p| p.strip_suffix(".xml"))
                    .and_then(|n| n.parse().ok());
                let Some(body) = idx.and_then(|i| corpus.get(i)) else {
                    let _ = w
                        .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                        .await;
                    continue;
                };
                let etag = format!("\"v1-{}\"", idx.unwrap_or(0));
                let head = if inm.as_deref() == Some(etag.as_str()) {
                    format!(
                        "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\n\r\n"
                    )
                } else {
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    )
                };
                if w.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                if head.starts_with("HTTP/1.1 200") && w.write_all(body).await.is_err() {
                    return;
                }
            }
        });
    }
}

// ---- measuring -----------------------------------------------------------

/// A config of `feeds` feeds served from `port`.
fn write_config(path: &Path, port: u16, feeds: usize) {
    let mut cfg = String::from(
        "include_builtin_feeds = false\n[http]\nper_host_interval_ms = 0\nconcurrency = 8\nmax_body_bytes = 50000000\n",
    );
    for i in 0..feeds {
        cfg.push_str(&format!(
            "[[feed]]\nname = \"f{i}\"\nurl = \"http://127.0.0.1:{port}/feed/{i}.xml\"\n"
        ));
    }
    std::fs::write(path, cfg).expect("config");
}

/// The memory target: a cold pass over the [`DEMANDING`] corpus, served apart.
fn demanding_pass(rt: &tokio::runtime::Runtime, out: &Path, o: &Opts) -> String {
    let corpus: Vec<Vec<u8>> = (0..o.feeds)
        .map(|i| make_feed(i, o.entries, DEMANDING))
        .collect();
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    rt.spawn(serve(listener, Arc::new(corpus)));
    let config = out.join("demanding.toml");
    write_config(&config, port, o.feeds);
    let db = out.join("demanding.db");
    remove_db(&db);
    let m = run_measured(&db, &config, &["-q", "fetch"]);
    assert_eq!(m.code, 0, "demanding cold fetch failed");
    let works = Store::open(&db)
        .and_then(|s| s.count_entries())
        .expect("count");
    remove_db(&db);
    format!(
        "cold fetch, demanding corpus ({:.1} MB: 250-400-word abstracts, TOC HTML, a fifth of works twice): {:.2} s wall, peak RSS {:.1} MiB, {works} works",
        bytes as f64 / 1e6,
        m.wall.as_secs_f64(),
        m.rss_mib
    )
}

fn ketlit_bin() -> PathBuf {
    // target/<profile>/examples/bench → target/<profile>/ketlit
    let exe = std::env::current_exe().expect("current exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("ketlit")
}

/// What one run of ketlit cost.
struct Measured {
    wall: Duration,
    /// Peak resident memory, in MiB.
    rss_mib: f64,
    /// User and system CPU of the process.
    cpu: Duration,
    /// The whole machine's stolen and I/O-wait time over the run (Linux's
    /// `/proc/stat`; zero elsewhere): on a VM, the host taking CPU from the guest
    /// while it writes to disk, which CPU time alone does not show.
    steal: Duration,
    iowait: Duration,
    code: i32,
}

/// The machine's (steal, iowait) so far, from the first line of `/proc/stat`.
fn steal_and_iowait() -> (Duration, Duration) {
    let Some(line) = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|t| t.lines().next().map(str::to_owned))
    else {
        return Default::default();
    };
    // cpu user nice system idle iowait irq softirq steal ...
    let field = |i: usize| -> u64 {
        line.split_whitespace()
            .nth(i)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let ticks = |n: u64| Duration::from_secs_f64(n as f64 / hz);
    (ticks(field(8)), ticks(field(5)))
}

/// Runs `program args` to completion, reaping it with wait4 to read its peak RSS and
/// CPU time.
#[allow(clippy::zombie_processes)] // wait4 reaps it
fn spawn_and_wait(program: &Path, args: &[String]) -> Measured {
    let (steal0, iowait0) = steal_and_iowait();
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run ketlit (build it first: cargo build --release)");
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child's pid with valid out-pointers.
    unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    let (steal1, iowait1) = steal_and_iowait();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Measured {
        wall,
        rss_mib: usage.ru_maxrss as f64 / 1024.0,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        steal: steal1.saturating_sub(steal0),
        iowait: iowait1.saturating_sub(iowait0),
        code,
    }
}

/// Starts `ketlit daemon` on `db` and `config`, lets it settle (every feed is fresh
/// after the passes before, so it runs nothing and waits for its next tick), and
/// returns its resident memory in MiB then, read from /proc; stops it with SIGTERM.
fn idle_daemon_rss(db: &Path, config: &Path) -> f64 {
    let mut child = Command::new(ketlit_bin())
        .arg("daemon")
        .env("KETLIT_DB", db)
        .env("KETLIT_CONFIG", config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the daemon");
    let status = format!("/proc/{}/status", child.id());
    let rss_kib = || -> Option<f64> {
        let text = std::fs::read_to_string(&status).ok()?;
        let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    // Settled: the same size for a second, within 5 s of starting.
    let mut last = 0.0;
    let mut steady = 0;
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(250));
        let now = rss_kib().unwrap_or(0.0);
        steady = if now == last { steady + 1 } else { 0 };
        last = now;
        if steady >= 4 {
            break;
        }
    }
    // SAFETY: signalling our own child by its pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let _ = child.wait();
    last / 1024.0
}

/// Runs `ketlit args` to completion and measures it.
///
/// Linux carries a process's peak RSS across fork and exec, so a child forked from
/// this process (which holds the whole corpus) would report this process's size. The
/// measurement therefore goes through a fresh, small copy of this program
/// (`--measure`), whose own child starts from its small footprint.
fn run_measured(db: &Path, config: &Path, args: &[&str]) -> Measured {
    let me = std::env::current_exe().expect("current exe");
    let out = Command::new(me)
        .arg("--measure")
        .arg(ketlit_bin())
        .args(args)
        .env("KETLIT_DB", db)
        .env("KETLIT_CONFIG", config)
        .output()
        .expect("run the measuring helper");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<f64> = text
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(-1.0))
        .collect();
    let at = |i: usize| v.get(i).copied().unwrap_or(-1.0);
    let secs = |i: usize| Duration::from_secs_f64(at(i).max(0.0));
    Measured {
        wall: secs(0),
        rss_mib: at(1),
        cpu: secs(2),
        steal: secs(3),
        iowait: secs(4),
        code: at(5) as i32,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn tokenise(corpus: &[Vec<u8>]) -> (Duration, u64) {
    let start = Instant::now();
    let mut events = 0u64;
    for doc in corpus {
        let mut r = quick_xml::Reader::from_reader(doc.as_slice());
        let mut buf = Vec::new();
        loop {
            match r.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Eof) | Err(_) => break,
                Ok(_) => events += 1,
            }
            buf.clear();
        }
    }
    (start.elapsed(), events)
}

/// A database of `n` entries built through the store's ingest, 1,000 per feed run.
fn build_query_db(path: &Path, n: usize) -> Duration {
    let start = Instant::now();
    remove_db(path);
    let mut store = Store::open(path).expect("open");
    // Tagged as the daemon would tag them, so `list --tag ptsd` has real tags to find.
    store.set_tagger(Arc::new(ketlit::tag::Tagger::builtin()));
    let feeds: Vec<FeedConfig> = (0..100)
        .map(|i| FeedConfig {
            name: format!("q{i}"),
            url: format!("http://127.0.0.1/q{i}"),
            kind: Kind::Auto,
            schedule: "0 0 * * * *".into(),
            filter: None,
            enabled: true,
            lookback_days: 30,
            relevant_only: false,
            origin: "bench".into(),
        })
        .collect();
    store.sync_feeds(&feeds, Utc::now()).expect("sync");
    let mut rng = fastrand::Rng::with_seed(7);
    let conditions = [
        "post-traumatic stress disorder (PTSD)",
        "obsessive-compulsive disorder",
        "generalized anxiety disorder",
        "treatment-resistant depression",
        "bipolar depression",
        "alcohol use disorder",
    ];
    for batch in 0..n.div_ceil(1000) {
        let entries: Vec<RawEntry> = (0..1000.min(n - batch * 1000))
            .map(|j| {
                let k = batch * 1000 + j;
                let cond = conditions[rng.usize(..conditions.len())];
                RawEntry {
                    guid: Some(format!("q:{k}")),
                    title: Some(format!("Ketamine in {cond}: {}", words(&mut rng, 40, 100))),
                    link: Some(format!("https://example.org/q/{k}")),
                    summary: Some(format!(
                        "Adults with {cond} received esketamine. {}",
                        words(&mut rng, 300, 1500)
                    )),
                    published: Utc
                        .timestamp_opt(1_400_000_000 + k as i64 * 300, 0)
                        .single(),
                    doi: Some(format!("10.7777/q.{k}")),
                    authors: vec!["Smith J".into(), "Doe A".into()],
                    journal: Some("Bench Journal".into()),
                    ..Default::default()
                }
            })
            .collect();
        let info = FeedInfo {
            title: None,
            link: None,
            format: Format::Rss2,
            ttl_minutes: None,
        };
        store
            .ingest_entries(&format!("q{}", batch % 100), info, entries, Vec::new())
            .expect("ingest");
    }
    start.elapsed()
}

/// The database at `path` and everything SQLite and ketlit keep beside it.
fn remove_db(path: &Path) {
    let index = ketlit::store::index_path(path);
    for base in [path, index.as_path()] {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", base.display()));
        }
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("--measure") {
        let m = spawn_and_wait(Path::new(&argv[2]), &argv[3..]);
        println!(
            "{} {} {} {} {} {}",
            m.wall.as_secs_f64(),
            m.rss_mib,
            m.cpu.as_secs_f64(),
            m.steal.as_secs_f64(),
            m.iowait.as_secs_f64(),
            m.code
        );
        return;
    }
    let o = opts();
    std::fs::create_dir_all(&o.out).expect("out dir");
    let out = o.out.canonicalize().expect("out dir");
    let mut report = String::new();
    let mut say = |line: String| {
        println!("{line}");
        report.push_str(&line);
        report.push('\n');
    };
    say(format!(
        "ketlit bench {} on {} core(s); {} feeds x {} entries",
        Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        o.feeds,
        o.entries
    ));

    let corpus: Vec<Vec<u8>> = (0..o.feeds)
        .map(|i| make_feed(i, o.entries, STANDARD))
        .collect();
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    say(format!("corpus: {:.1} MB", bytes as f64 / 1e6));

    let (tok_time, events) = tokenise(&corpus);
    let tok_rate = bytes as f64 / tok_time.as_secs_f64();
    say(format!(
        "quick-xml tokenise only: {:.3} s, {:.0} MB/s ({events} events)",
        tok_time.as_secs_f64(),
        tok_rate / 1e6
    ));

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let corpus = Arc::new(corpus);
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    rt.spawn(serve(listener, corpus.clone()));

    let config = out.join("bench.toml");
    write_config(&config, port, o.feeds);
    if o.serve_only {
        println!(
            "serving on 127.0.0.1:{port}; config in {}",
            config.display()
        );
        rt.block_on(std::future::pending::<()>());
    }
    let db = out.join("ingest.db");
    remove_db(&db);
    let m = run_measured(&db, &config, &["-q", "fetch"]);
    assert_eq!(m.code, 0, "cold fetch failed");
    let cold = m.wall;
    let works: i64 = Store::open(&db)
        .expect("db")
        .count_entries()
        .expect("count");
    say(format!(
        "cold fetch: {:.2} s wall, {:.0} MB/s ({:.0}% of tokenise-only), peak RSS {:.1} MiB, {works} works stored",
        cold.as_secs_f64(),
        bytes as f64 / cold.as_secs_f64() / 1e6,
        100.0 * (bytes as f64 / cold.as_secs_f64()) / tok_rate,
        m.rss_mib
    ));
    say(format!(
        "  CPU {:.2} s; the machine's steal {:.2} s and iowait {:.2} s meanwhile",
        m.cpu.as_secs_f64(),
        m.steal.as_secs_f64(),
        m.iowait.as_secs_f64()
    ));
    let m = run_measured(&db, &config, &["-q", "fetch"]);
    assert_eq!(m.code, 0, "warm fetch failed");
    say(format!(
        "warm fetch (all 304): {:.3} s wall, peak RSS {:.1} MiB",
        m.wall.as_secs_f64(),
        m.rss_mib
    ));

    say(format!(
        "idle daemon ({} feeds, all fresh): RSS {:.1} MiB",
        o.feeds,
        idle_daemon_rss(&db, &config)
    ));
    say(demanding_pass(&rt, &out, &o));

    let qdb = out.join(format!("query-{}.db", o.query_entries));
    if Store::open(&qdb)
        .and_then(|s| s.count_entries())
        .unwrap_or(0)
        != o.query_entries as i64
    {
        let t = build_query_db(&qdb, o.query_entries);
        say(format!(
            "built the query database: {} entries in {:.1} s",
            o.query_entries,
            t.as_secs_f64()
        ));
    } else {
        // A database built by an older ketlit has its search index rebuilt once.
        let t = Instant::now();
        Store::open(&qdb)
            .and_then(|mut s| s.flush_index())
            .expect("index the query database");
        if t.elapsed() > Duration::from_secs(1) {
            say(format!(
                "indexed the query database for search in {:.1} s",
                t.elapsed().as_secs_f64()
            ));
        }
    }
    let show_id = (o.query_entries / 2).to_string();
    let queries: [&[&str]; 8] = [
        &["search", "ketamine", "--limit", "20", "--format", "json"],
        &[
            "search",
            "\"treatment-resistant depression\"",
            "--limit",
            "20",
            "--format",
            "json",
        ],
        &[
            "search",
            "esketamine AND adolescents",
            "--limit",
            "20",
            "--format",
            "json",
        ],
        &[
            "search",
            "PTSD OR \"post-traumatic\"",
            "--limit",
            "20",
            "--format",
            "json",
        ],
        &["search", "glutam*", "--limit", "20", "--format", "json"],
        &["list", "--tag", "ptsd", "--limit", "50", "--format", "json"],
        &["list", "--limit", "50", "--format", "json"],
        &["show", &show_id, "--format", "json"],
    ];
    for q in queries {
        let mut times: Vec<f64> = (0..o.runs)
            .map(|_| {
                let m = run_measured(&qdb, &config, q);
                assert_eq!(m.code, 0, "{q:?} failed");
                m.wall.as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        say(format!(
            "{:<60} p50 {:6.1} ms  p95 {:6.1} ms",
            q.join(" "),
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        ));
    }
    serve::measure(&ketlit_bin(), &qdb, o.runs, &mut say);
    let path = out.join("report.txt");
    let _ = std::fs::File::create(&path).and_then(|mut f| f.write_all(report.as_bytes()));
    println!("report written to {}", path.display());
}
