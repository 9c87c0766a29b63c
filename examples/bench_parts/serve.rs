//! The `serve` part of the benchmark: `ketlit serve` as a process over the large query
//! database, timed request by request over real sockets on 127.0.0.1 — `GET /` (the
//! first one apart: it counts every work once), a feed, and a 304 poll of `/`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Reports the first `GET /`, then the p50 and p95 of each case over `runs` requests.
pub fn measure(ketlit: &Path, db: &Path, runs: usize, say: &mut dyn FnMut(String)) {
    let mut child = Command::new(ketlit)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("KETLIT_DB", db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ketlit serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("serve's first line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.strip_suffix('/'))
        .expect("listening on …")
        .to_string();
    let (first, head) = get(&addr, "/", None);
    say(format!(
        "serve GET / (first: counts every work once)               {:8.1} ms",
        first.as_secs_f64() * 1000.0
    ));
    let etag = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("etag: ")
                .or_else(|| l.strip_prefix("ETag: "))
        })
        .map(str::to_owned);
    let cases: [(&str, &str, Option<&str>); 3] = [
        ("serve GET /", "/", None),
        ("serve GET /feeds/all.atom", "/feeds/all.atom", None),
        ("serve GET / with If-None-Match (304)", "/", etag.as_deref()),
    ];
    for (what, path, inm) in cases {
        let mut times: Vec<f64> = (0..runs)
            .map(|_| get(&addr, path, inm).0.as_secs_f64() * 1000.0)
            .collect();
        times.sort_by(f64::total_cmp);
        say(format!(
            "{what:<60} p50 {:6.1} ms  p95 {:6.1} ms",
            super::percentile(&times, 0.5),
            super::percentile(&times, 0.95)
        ));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// One request on a new connection: its time to the last byte, and the response head.
fn get(addr: &str, path: &str, if_none_match: Option<&str>) -> (Duration, String) {
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect to serve");
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(e) = if_none_match {
        req.push_str(&format!("If-None-Match: {e}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let took = start.elapsed();
    let text = String::from_utf8_lossy(&raw);
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_string();
    let status = head.split(' ').nth(1).unwrap_or_default();
    assert!(
        status == "200" || (status == "304" && if_none_match.is_some()),
        "{path}: {head}"
    );
    (took, head)
}
