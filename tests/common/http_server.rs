//! Scripted HTTP/1.1 test server on 127.0.0.1 for integration tests: per-path
//! handlers, a request log, and misbehaviours (truncation, dripping, bombs)
//! that only a hand-written server can produce.
//!
//! Include it from a test crate with
//! `#[path = "common/http_server.rs"] mod http_server;` so no shared
//! `tests/common/mod.rs` is needed.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Request heads larger than this are answered by closing the connection.
const MAX_HEAD: usize = 64 * 1024;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query as sent, e.g. `/feed?x=1`.
    pub target: String,
    /// Path without the query; routes match on this.
    pub path: String,
    /// Header names lower-cased, values verbatim (lossy UTF-8).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the request head was fully received.
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How the body is put on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    /// `Content-Length` and the whole body.
    Normal,
    /// No Content-Length: the body is delimited by closing the connection.
    CloseDelimited,
    /// Declares the full length but sends only the first `n` bytes, then closes.
    TruncateAfter(usize),
    /// Sends the body one byte every `interval`.
    Drip(Duration),
    /// Accepts the connection and closes it without answering.
    CloseImmediately,
    /// Reads the request and then never answers (until the test ends).
    Hang,
    /// Streams `decoded_len` zero bytes gzip-compressed, generated on the fly
    /// without Content-Length; stops as soon as the client hangs up.
    GzipZeros { decoded_len: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

/// A scripted response. Build with the constructors and chained setters.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Header lines written byte-for-byte (no CRLF), for non-UTF-8 or
    /// malformed headers.
    pub raw_headers: Vec<Vec<u8>>,
    pub body: Vec<u8>,
    pub encoding: Encoding,
    pub wire: Wire,
}

impl Reply {
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            raw_headers: Vec::new(),
            body: Vec::new(),
            encoding: Encoding::Identity,
            wire: Wire::Normal,
        }
    }

    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self::new(200).body(body)
    }

    pub fn status(status: u16) -> Self {
        Self::new(status)
    }

    pub fn redirect(status: u16, location: &str) -> Self {
        Self::new(status).header("Location", location)
    }

    pub fn not_modified() -> Self {
        Self::new(304)
    }

    pub fn close_immediately() -> Self {
        Self::new(200).wire(Wire::CloseImmediately)
    }

    pub fn gzip_bomb(decoded_len: u64) -> Self {
        Self::new(200).wire(Wire::GzipZeros { decoded_len })
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn raw_header(mut self, line: impl Into<Vec<u8>>) -> Self {
        self.raw_headers.push(line.into());
        self
    }

    pub fn gzip(mut self) -> Self {
        self.encoding = Encoding::Gzip;
        self
    }

    pub fn brotli(mut self) -> Self {
        self.encoding = Encoding::Brotli;
        self
    }

    pub fn wire(mut self, wire: Wire) -> Self {
        self.wire = wire;
        self
    }

    fn encoded_body(&self) -> Vec<u8> {
        match self.encoding {
            Encoding::Identity => self.body.clone(),
            Encoding::Gzip => gzip(&self.body),
            Encoding::Brotli => brotli_compress(&self.body),
        }
    }

    fn head(&self, body_len: Option<usize>) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        let has = |name: &str| {
            self.headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(name))
        };
        if let Some(len) = body_len
            && !has("content-length")
        {
            head.push_str(&format!("Content-Length: {len}\r\n"));
        }
        match self.encoding {
            Encoding::Gzip if !has("content-encoding") => {
                head.push_str("Content-Encoding: gzip\r\n")
            }
            Encoding::Brotli if !has("content-encoding") => {
                head.push_str("Content-Encoding: br\r\n")
            }
            _ => {}
        }
        head.push_str("Connection: close\r\n");
        let mut bytes = head.into_bytes();
        for (k, v) in &self.headers {
            bytes.extend_from_slice(k.as_bytes());
            bytes.extend_from_slice(b": ");
            bytes.extend_from_slice(v.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
        for line in &self.raw_headers {
            bytes.extend_from_slice(line);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"\r\n");
        bytes
    }
}

pub type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// Routes by exact path; unknown paths get 404.
#[derive(Default, Clone)]
pub struct Routes {
    handlers: HashMap<String, Handler>,
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    /// A fixed reply for every request to `path`.
    pub fn reply(self, path: &str, reply: Reply) -> Self {
        self.handle(path, move |_| reply.clone())
    }

    /// A reply computed from the request (e.g. 304 when If-None-Match matches,
    /// or a counter captured in the closure for "fail twice then succeed").
    pub fn handle(
        mut self,
        path: &str,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Self {
        self.handlers.insert(path.to_owned(), Arc::new(handler));
        self
    }
}

pub struct TestServer {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Request>>>,
    accept: JoinHandle<()>,
}

impl TestServer {
    pub async fn start(routes: Routes) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let routes = Arc::new(routes);
        let accept_log = Arc::clone(&log);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let routes = Arc::clone(&routes);
                let log = Arc::clone(&accept_log);
                tokio::spawn(async move {
                    // Client hang-ups are part of several tests, not failures.
                    let _ = serve(stream, &routes, &log).await;
                });
            }
        });
        Self { addr, log, accept }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        self.url_with_host("127.0.0.1", path)
    }

    /// Same server under another hostname, e.g. `localhost`, to exercise
    /// per-hostname logic.
    pub fn url_with_host(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.addr.port())
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn requests_to(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.requests_to(path).len()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    routes: &Routes,
    log: &Mutex<Vec<Request>>,
) -> std::io::Result<()> {
    let Some(request) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let reply = match routes.handlers.get(&request.path) {
        Some(handler) => handler(&request),
        None => Reply::status(404).body("not found"),
    };
    if let Ok(mut log) = log.lock() {
        log.push(request);
    }
    match reply.wire {
        Wire::CloseImmediately => {}
        Wire::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Wire::Normal => {
            let body = reply.encoded_body();
            let mut out = reply.head(Some(body.len()));
            out.extend_from_slice(&body);
            stream.write_all(&out).await?;
        }
        Wire::CloseDelimited => {
            let body = reply.encoded_body();
            stream.write_all(&reply.head(None)).await?;
            stream.write_all(&body).await?;
        }
        Wire::TruncateAfter(n) => {
            let body = reply.encoded_body();
            stream.write_all(&reply.head(Some(body.len()))).await?;
            stream.write_all(&body[..n.min(body.len())]).await?;
        }
        Wire::Drip(interval) => {
            let body = reply.encoded_body();
            stream.write_all(&reply.head(Some(body.len()))).await?;
            for byte in body {
                stream.write_all(&[byte]).await?;
                stream.flush().await?;
                tokio::time::sleep(interval).await;
            }
        }
        Wire::GzipZeros { decoded_len } => {
            let mut reply = reply.gzip();
            reply.body.clear();
            stream.write_all(&reply.head(None)).await?;
            stream_gzip_zeros(&mut stream, decoded_len).await?;
        }
    }
    stream.flush().await?;
    stream.shutdown().await
}

async fn stream_gzip_zeros(stream: &mut TcpStream, decoded_len: u64) -> std::io::Result<()> {
    // Small pieces, each flushed to the wire and followed by a yield: the
    // client decodes as data arrives (and hangs up early) even when both run
    // on a single-threaded test runtime.
    let zeros = vec![0u8; 256 * 1024];
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut left = decoded_len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        encoder.write_all(&zeros[..n])?;
        encoder.flush()?;
        left -= n as u64;
        let pending = std::mem::take(encoder.get_mut());
        stream.write_all(&pending).await?;
        tokio::task::yield_now().await;
    }
    let tail = encoder.finish()?;
    stream.write_all(&tail).await
}

/// Reads one request head (and a Content-Length body); `None` when the
/// client went away or sent something unreadable.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::with_capacity(1024);
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > MAX_HEAD {
            return Ok(None);
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default().to_owned();
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let at = Instant::now();
    let content_length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < content_length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Some(Request {
        method,
        target,
        path,
        headers,
        body,
        at,
    }))
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("gzip into a Vec");
    encoder.finish().expect("gzip into a Vec")
}

pub fn brotli_compress(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        writer.write_all(data).expect("brotli into a Vec");
    }
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
