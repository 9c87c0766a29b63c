//! `ketlit serve` as a process on 127.0.0.1 over a real database: Atom read by Python's
//! feedparser, conditional GETs, errors, the HTML page loaded by headless Chromium, and
//! hostile input: script links in the database, rejected searches, slow and idle
//! clients on raw sockets.

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/tool.rs"]
mod tool;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    /// `127.0.0.1:PORT`
    addr: String,
    dir: tempfile::TempDir,
    corpus: corpus::Corpus,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ketlit.db");
        let corpus = corpus::build(&db);
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("ketlit"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("KETLIT_DB", &db)
            .env("HOME", dir.path())
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|a| a.strip_suffix('/'))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server {
            child,
            addr,
            dir,
            corpus,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("ketlit.db")
    }

    /// What the server logged so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap()
    }

    /// One HTTP/1.1 exchange: (status, lower-cased headers, body).
    fn get(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8(raw).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Reply {
            status,
            headers,
            body: body.to_string(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn tool(cmd: &str, args: &[&str], dir: &Path) -> String {
    String::from_utf8_lossy(&tool::run(cmd, args, dir).stdout).into_owned()
}

const FEEDPARSER: &str = r#"
import json, sys, feedparser
d = feedparser.parse(sys.argv[1])
assert d.get("status") == 200, d.get("status")
assert not d.bozo, d.get("bozo_exception")
assert d.version == "atom10", d.version
out = []
for e in d.entries:
    out.append({
        "id": e.id, "title": e.title, "updated": bool(e.get("updated_parsed")),
        "links": [l["href"] for l in e.links], "tags": [t["term"] for t in e.get("tags", [])],
        "summary": e.get("summary"), "authors": [a.get("name") for a in e.get("authors", [])],
    })
print(json.dumps({"title": d.feed.title, "entries": out}))
"#;

fn feedparser(url: &str, dir: &Path) -> serde_json::Value {
    serde_json::from_str(&tool("python3", &["-c", FEEDPARSER, url], dir)).unwrap()
}

#[test]
fn feedparser_reads_exactly_the_tagged_entries() {
    if !tool::present(&[tool::Need::Python("feedparser")]) {
        return;
    }
    let s = Server::start();
    let feed = feedparser(&s.url("/feeds/tag/ptsd.atom"), s.dir.path());
    let entries = feed["entries"].as_array().unwrap();
    let mut ids: Vec<i64> = entries
        .iter()
        .map(|e| {
            e["id"]
                .as_str()
                .unwrap()
                .strip_prefix("urn:ketlit:entry:")
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, s.corpus.ptsd);
    for e in entries {
        assert!(e["updated"].as_bool().unwrap());
        assert!(
            e["tags"].as_array().unwrap().iter().any(|t| t == "ptsd"),
            "{e}"
        );
        assert!(e["summary"].as_str().is_some_and(|x| !x.is_empty()), "{e}");
    }
    let twin = entries
        .iter()
        .find(|e| e["title"] == "Ketamine for PTSD in veterans")
        .unwrap();
    let links: Vec<&str> = twin["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        links.contains(&"https://doi.org/10.1000/twin-a"),
        "{links:?}"
    );
    assert!(
        links.contains(&"https://example.org/paper/twin-a?a=1&b=2"),
        "{links:?}"
    );

    // Everything, specials included, parses (feedparser sets bozo on any XML error).
    let all = feedparser(&s.url("/feeds/all.atom"), s.dir.path());
    let titles: Vec<&str> = all["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&corpus::NASTY_TITLE), "{titles:?}");
    assert_eq!(titles.len(), 36.min(s.corpus.total));

    let found = feedparser(
        &s.url("/feeds/search.atom?q=ketamine&tag=ptsd"),
        s.dir.path(),
    );
    let n = found["entries"].as_array().unwrap().len();
    assert!(n >= 1 && n <= s.corpus.ptsd.len(), "{found}");
}

#[test]
fn feeds_answer_304_to_matching_validators() {
    let s = Server::start();
    let first = s.get("GET", "/feeds/tag/ptsd.atom", &[]);
    assert_eq!(first.status, 200);
    assert_eq!(
        first.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    let etag = first.header("etag").unwrap().to_string();
    let lm = first.header("last-modified").unwrap().to_string();
    assert!(lm.ends_with(" GMT"), "{lm}");

    let same = s.get("GET", "/feeds/tag/ptsd.atom", &[("If-None-Match", &etag)]);
    assert_eq!(same.status, 304);
    assert!(same.body.is_empty());
    assert_eq!(same.header("etag"), Some(etag.as_str()));
    let since = s.get("GET", "/feeds/tag/ptsd.atom", &[("If-Modified-Since", &lm)]);
    assert_eq!(since.status, 304);
    let old = s.get(
        "GET",
        "/feeds/tag/ptsd.atom",
        &[("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")],
    );
    assert_eq!(old.status, 200);
    // A different ETag wins over a matching date.
    let other = s.get(
        "GET",
        "/feeds/tag/ptsd.atom",
        &[("If-None-Match", "\"other\""), ("If-Modified-Since", &lm)],
    );
    assert_eq!(other.status, 200);

    // A change in the database (a new tag) changes the document and its ETag.
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute(
        "UPDATE entries SET tags = 'ptsd' || char(9) || char(9) || char(9) || char(9)
             || CASE tags WHEN '' THEN '' ELSE char(10) || tags END
         WHERE id = (SELECT MIN(id) FROM entries
                     WHERE instr(char(10) || tags, char(10) || 'ptsd' || char(9)) = 0)",
        [],
    )
    .unwrap();
    let changed = s.get("GET", "/feeds/tag/ptsd.atom", &[("If-None-Match", &etag)]);
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));

    let head = s.get("HEAD", "/feeds/all.atom", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[test]
fn health_errors_and_read_only() {
    let s = Server::start();
    let h = s.get("GET", "/healthz", &[]);
    assert_eq!(h.status, 200);
    let v: serde_json::Value = serde_json::from_str(&h.body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["entries"], s.corpus.total);
    assert_eq!(s.get("GET", "/nope", &[]).status, 404);
    assert_eq!(s.get("POST", "/feeds/all.atom", &[]).status, 405);
    assert_eq!(s.get("GET", "/feeds/search.atom", &[]).status, 400);
    assert_eq!(s.get("GET", "/feeds/all.atom?limit=0", &[]).status, 400);
    let two = s.get("GET", "/feeds/all.atom?limit=2", &[]);
    assert_eq!(two.body.matches("<entry>").count(), 2);
    let unknown = s.get("GET", "/feeds/tag/no-such-tag.atom", &[]);
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.body.matches("<entry>").count(), 0);
    let typed = s.get("GET", "/feeds/tag/type%3Apreprint.atom", &[]);
    assert!(typed.body.matches("<entry>").count() >= 1, "{}", typed.body);

    // No database: exit 1 with one line, and no file created.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.db");
    let out = Command::new(assert_cmd::cargo::cargo_bin("ketlit"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("KETLIT_DB", &missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("none.db") && err.lines().count() == 1, "{err}");
    assert!(!missing.exists());
    // A taken port names the flag.
    let out = Command::new(assert_cmd::cargo::cargo_bin("ketlit"))
        .args(["serve", "--addr", &s.addr])
        .env("KETLIT_DB", s.db())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--addr"));
}

#[test]
fn html_page_escapes_and_renders_in_headless_chromium() {
    if !tool::present(&[tool::Need::Program("chromium")]) {
        return;
    }
    let s = Server::start();
    let page = s.get("GET", "/", &[]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("p&lt;0.05"), "titles are escaped");
    assert!(!page.body.contains("p<0.05"));
    assert!(page.body.contains("<svg"));
    assert!(page.body.contains("href=\"/?tag=ptsd\""));
    assert!(page.body.contains("/feeds/tag/ptsd.atom"));
    let ptsd = s.get("GET", "/?tag=ptsd", &[]);
    assert_eq!(ptsd.body.matches("<li>").count(), s.corpus.ptsd.len());

    let profile = tempfile::tempdir().unwrap();
    let shot = s.dir.path().join("page.png");
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1200,900",
    ];
    let user_dir = format!("--user-data-dir={}", profile.path().display());
    let mut args: Vec<String> = common.iter().map(|a| a.to_string()).collect();
    args.push(user_dir.clone());
    args.push(format!("--screenshot={}", shot.display()));
    args.push(s.url("/"));
    let args_ref: Vec<&str> = args.iter().map(String::as_str).collect();
    tool("chromium", &args_ref, s.dir.path());
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        png.len() > 20_000,
        "suspiciously small screenshot: {} bytes",
        png.len()
    );
    if let Ok(keep) = std::env::var("KETLIT_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }

    let mut args: Vec<String> = common.iter().map(|a| a.to_string()).collect();
    args.push(user_dir);
    args.push("--dump-dom".into());
    args.push(s.url("/"));
    let args_ref: Vec<&str> = args.iter().map(String::as_str).collect();
    let dom = tool("chromium", &args_ref, s.dir.path());
    for t in [
        "Ketamine for PTSD in veterans",
        "Ketamine for PTSD in first responders",
    ] {
        assert!(dom.contains(t), "{t:?} not in the DOM");
    }
    assert!(dom.contains("p&lt;0.05"), "the title is text, not markup");
}

/// Links a database written before ingest kept only http(s) can hold, each with a
/// marker that must never reach a page or feed.
const SCRIPT_LINKS: &[&str] = &[
    "javascript:alert('x1')",
    " JaVa\tScRiPt:alert('x2')",
    "data:text/html,<script>alert('x3')</script>",
    "vbscript:msgbox('x4')",
];

#[test]
fn script_links_in_old_databases_are_never_links_in_html_or_atom() {
    if !tool::present(&[tool::Need::Python("feedparser")]) {
        return;
    }
    let s = Server::start();
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    let works: Vec<(i64, Option<String>)> = conn
        .prepare("SELECT id, doi FROM entries ORDER BY sort_at DESC, id DESC LIMIT 4")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for ((id, _), link) in works.iter().zip(SCRIPT_LINKS) {
        conn.execute("UPDATE entries SET link = ?1 WHERE id = ?2", (link, id))
            .unwrap();
    }
    for path in ["/", "/feeds/all.atom", "/feeds/search.atom?q=ketamine"] {
        let r = s.get("GET", path, &[]);
        assert_eq!(r.status, 200, "{path}");
        let body = r.body.to_ascii_lowercase();
        for marker in ["alert(", "msgbox(", "javascript", "vbscript", "data:text"] {
            assert!(!body.contains(marker), "{path} carries {marker:?}");
        }
    }
    // Those with a DOI still link to it.
    let page = s.get("GET", "/", &[]).body;
    for (_, doi) in works.iter().filter(|(_, d)| d.is_some()) {
        let doi = doi.as_deref().unwrap();
        assert!(
            page.contains(&format!("href=\"https://doi.org/{doi}\"")),
            "{doi}"
        );
    }
    feedparser(&s.url("/feeds/all.atom"), s.dir.path());
}

#[test]
fn every_response_carries_the_security_headers() {
    let s = Server::start();
    let page = s.get("GET", "/", &[]);
    let etag = page.header("etag").unwrap().to_string();
    let replies = [
        page,
        s.get("GET", "/feeds/all.atom", &[]),
        s.get("GET", "/", &[("If-None-Match", &etag)]),
        s.get("GET", "/healthz", &[]),
        s.get("GET", "/nope", &[]),
        s.get("POST", "/", &[]),
        s.get("GET", "/feeds/all.atom?limit=x", &[]),
    ];
    for r in &replies {
        let csp = r.header("content-security-policy").unwrap_or_default();
        for part in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(part), "{} {csp:?}", r.status);
        }
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
    }
    assert_eq!(replies[2].status, 304);
    // The policy allows the page's one style sheet by its hash, and nothing inline else.
    let body = &replies[0].body;
    let css = body
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .unwrap()
        .0;
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(css));
    let csp = replies[0].header("content-security-policy").unwrap();
    assert!(csp.contains(&format!("style-src 'sha256-{hash}'")), "{csp}");
    assert!(
        !body.contains(" style=\""),
        "inline style attributes need unsafe-inline"
    );
    assert_eq!(body.matches("<style>").count(), 1);
}

#[test]
fn search_the_index_rejects_is_a_400_without_the_database_path() {
    let s = Server::start();
    // FTS5 refuses an expression deeper than 256 ("fts5 expression tree is too
    // large"): a chain of 300 NOTs, which search translation passes on as written.
    let nots: Vec<String> = (0..300).map(|i| format!("NOT w{i}")).collect();
    let q = format!("ketamine {}", nots.join(" "));
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let r = s.get("GET", &format!("/feeds/search.atom?q={q}"), &[]);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.len() < 200 && r.body.lines().count() == 1,
        "{}",
        r.body
    );
    let dir = s.dir.path().display().to_string();
    assert!(
        !r.body.contains("ketlit.db") && !r.body.contains(&dir),
        "{}",
        r.body
    );
    // A client's mistake is not the server's error.
    assert!(!s.log().contains("ERROR"), "{}", s.log());
    assert_eq!(
        s.get("GET", "/feeds/search.atom?q=ketamine", &[]).status,
        200
    );
}

/// Reads from `sock` until the server closes it (or sends a reply and closes); returns
/// how long that took. Fails if it stays open `limit`.
fn closed_within(sock: &mut TcpStream, limit: std::time::Duration) -> std::time::Duration {
    let start = std::time::Instant::now();
    sock.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match sock.read(&mut buf) {
            Ok(0) => return start.elapsed(),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return start.elapsed(),
            Err(e) => panic!("still open after {:?}: {e}", start.elapsed()),
        }
        assert!(start.elapsed() < limit, "still open after {limit:?}");
    }
}

#[test]
fn idle_connections_that_never_finish_their_headers_are_closed_within_seconds() {
    let s = Server::start();
    let limit = std::time::Duration::from_secs(12);
    let mut silent = TcpStream::connect(&s.addr).unwrap();
    let mut partial = TcpStream::connect(&s.addr).unwrap();
    partial
        .write_all(b"GET /feeds/all.atom HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    // Kept alive after one full exchange, then silent.
    let mut kept = TcpStream::connect(&s.addr).unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    for sock in [&mut silent, &mut partial, &mut kept] {
        let took = closed_within(sock, limit);
        assert!(took < limit, "{took:?}");
    }
}

#[test]
fn slow_clients_on_many_connections_do_not_delay_healthz() {
    let s = Server::start();
    let mut slow: Vec<TcpStream> = Vec::new();
    for i in 0..60 {
        let mut c = TcpStream::connect(&s.addr).unwrap();
        if i % 2 == 0 {
            // Half trickle their headers a byte at a time; half ask for big feeds and
            // never read the answers.
            c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
        } else {
            c.write_all(b"GET /feeds/all.atom?limit=500 HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
        }
        slow.push(c);
    }
    let mut worst = std::time::Duration::ZERO;
    for round in 0..10 {
        for (i, c) in slow.iter_mut().enumerate() {
            if i % 2 == 0 {
                let _ = c.write_all(b"a");
            }
        }
        let start = std::time::Instant::now();
        let h = s.get("GET", "/healthz", &[]);
        worst = worst.max(start.elapsed());
        assert_eq!(h.status, 200, "round {round}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(worst < std::time::Duration::from_secs(1), "{worst:?}");
}
