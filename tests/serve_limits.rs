//! `serve`'s limits and its conditional requests, on the library's real server over
//! real sockets on 127.0.0.1 (small limits, so each test takes seconds), and its
//! request handler called directly to count the documents it renders.

#[path = "common/corpus.rs"]
mod corpus;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, StatusCode};
use ketlit::serve::{Limits, State, respond};

/// The library's server on a runtime of its own, stopped when dropped.
struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    dir: tempfile::TempDir,
}

impl Running {
    fn start(limits: Limits) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ketlit.db");
        corpus::build(&db);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let state = Arc::new(State::new(db));
                ketlit::serve::serve_with(listener, state, limits, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            });
            // Connections still open are dropped with the runtime.
            rt.shutdown_timeout(Duration::from_secs(1));
        });
        Running {
            addr: rx.recv().unwrap(),
            stop: Some(stop),
            thread: Some(thread),
            dir,
        }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one response (head and Content-Length body) from a kept-alive connection.
fn read_reply(s: &mut TcpStream) -> (u16, String) {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "closed mid-head: {raw:?}");
        raw.push(byte[0]);
    }
    let head = String::from_utf8(raw).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head)
}

fn short_limits() -> Limits {
    Limits {
        max_connections: 3,
        header_read_timeout: Duration::from_secs(2),
        ..Limits::default()
    }
}

#[test]
fn connections_over_the_cap_get_a_503_at_once_and_room_comes_back() {
    let server = Running::start(short_limits());
    let idle: Vec<TcpStream> = (0..3).map(|_| server.connect()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    let mut over = server.connect();
    over.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    over.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    // The idle ones are closed by the header timeout; then there is room again.
    std::thread::sleep(Duration::from_millis(2500));
    let mut next = server.connect();
    next.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_reply(&mut next).0, 200);
    drop(idle);
}

#[test]
fn kept_alive_connections_end_after_their_request_limit() {
    let server = Running::start(Limits {
        max_requests_per_connection: 3,
        ..short_limits()
    });
    let mut s = server.connect();
    for i in 1..=3 {
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let (status, head) = read_reply(&mut s);
        assert_eq!(status, 200);
        assert_eq!(
            head.to_ascii_lowercase().contains("connection: close"),
            i == 3,
            "{head}"
        );
    }
    let mut rest = Vec::new();
    assert_eq!(
        s.read_to_end(&mut rest).unwrap(),
        0,
        "closed after the third"
    );
}

#[test]
fn a_request_stuck_on_a_locked_database_gets_a_503_after_the_request_timeout() {
    let server = Running::start(Limits {
        request_timeout: Duration::from_secs(1),
        ..short_limits()
    });
    // An exclusive lock held by another connection: every reader waits on it.
    let lock = rusqlite::Connection::open(server.dir.path().join("ketlit.db")).unwrap();
    lock.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE")
        .unwrap();
    let start = Instant::now();
    let mut s = server.connect();
    s.write_all(b"GET /feeds/all.atom HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (status, _) = read_reply(&mut s);
    assert_eq!(status, 503);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(5),
        "{took:?}"
    );
    lock.execute_batch("COMMIT").unwrap();
}

fn get(
    state: &State,
    path_and_query: &str,
    headers: &[(&'static str, &str)],
) -> ketlit::serve::Reply {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("localhost"));
    for (k, v) in headers {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    respond(state, &Method::GET, path, query, &h)
}

fn header(r: &ketlit::serve::Reply, name: &str) -> String {
    r.headers()[name].to_str().unwrap().to_string()
}

#[test]
fn a_poll_of_unchanged_data_is_answered_304_without_rendering() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ketlit.db");
    corpus::build(&db);
    let state = State::new(db.clone());
    for path in ["/feeds/tag/ptsd.atom", "/", "/feeds/search.atom?q=ketamine"] {
        let first = get(&state, path, &[]);
        assert_eq!(first.status(), StatusCode::OK);
        let renders = state.renders();
        let etag = header(&first, "etag");
        // The home page has no Last-Modified (its counts have no cheap date).
        let lm = first
            .headers()
            .get("last-modified")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(lm.is_none(), path == "/", "{path}");
        for _ in 0..5 {
            let again = get(&state, path, &[("if-none-match", &etag)]);
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
            assert_eq!(header(&again, "etag"), etag);
            if let Some(lm) = &lm {
                let since = get(&state, path, &[("if-modified-since", lm)]);
                assert_eq!(since.status(), StatusCode::NOT_MODIFIED, "{path}");
            }
        }
        assert_eq!(
            state.renders(),
            renders,
            "{path}: a 304 rendered the document"
        );
    }

    // A write that the feed does not show: rendered again, but the same ETag.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let first = get(&state, "/feeds/tag/ptsd.atom", &[]);
    let etag = header(&first, "etag");
    conn.execute_batch("CREATE TABLE scratch (x); INSERT INTO scratch VALUES (1)")
        .unwrap();
    let renders = state.renders();
    let same = get(&state, "/feeds/tag/ptsd.atom", &[("if-none-match", &etag)]);
    assert_eq!(same.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(state.renders(), renders + 1);
    // A write it shows: a new document and ETag.
    conn.execute(
        "UPDATE entries SET title = 'Retitled' WHERE id = (SELECT MAX(id) FROM entries
         WHERE instr(char(10) || tags, char(10) || 'ptsd' || char(9)) > 0)",
        [],
    )
    .unwrap();
    let changed = get(&state, "/feeds/tag/ptsd.atom", &[("if-none-match", &etag)]);
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(header(&changed, "etag"), etag);
}
