//! `ketlit serve`: read-only HTTP over the database — Atom feeds (all, per tag, per
//! query) with ETag/Last-Modified and 304s, `/healthz`, and the HTML overview at `/`.
//! This module owns the connections and their limits (header and request timeouts, a
//! cap on connections and on concurrent renders, keep-alive limits); each request
//! opens the database read-only on a blocking thread, so the daemon can keep writing
//! and a request always sees committed data.

pub mod atom;
pub mod html;
mod respond;
mod routes;
mod state;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hyper::header::{self, HeaderValue};
use hyper::{Request, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

pub use respond::{Reply, respond};
pub use state::{State, Validators};

/// How much one `serve` lets its clients take.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, also between two requests on a
    /// kept-alive connection.
    pub header_read_timeout: Duration,
    /// Time from a request's headers to its response's being ready: 503 past it.
    pub request_timeout: Duration,
    /// A connection is closed, after the request in hand, once it is this old.
    pub connection_max_age: Duration,
    /// Requests on one connection; the last is answered with `Connection: close`.
    pub max_requests_per_connection: usize,
    /// Documents built at once (each holds a blocking thread and a database
    /// connection); `/healthz` does not wait for these.
    pub max_renders: usize,
    /// Request head (line and headers) size; larger gets 431.
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 256,
            header_read_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            connection_max_age: Duration::from_secs(120),
            max_requests_per_connection: 200,
            max_renders: 8,
            max_header_bytes: 16 * 1024,
        }
    }
}

/// After `connection_max_age`, how long the request in hand may take to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `db` on `listener` with the default [`Limits`] until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    db: PathBuf,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(
        listener,
        Arc::new(State::new(db)),
        Limits::default(),
        shutdown,
    )
    .await
}

/// Serves `state`'s database on `listener` within `limits` until `shutdown` resolves.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: Arc<State>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let renders = Arc::new(Semaphore::new(limits.max_renders));
    let limits = Arc::new(limits);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        match connections.clone().try_acquire_owned() {
            Ok(permit) => {
                let conn = Connection {
                    state: state.clone(),
                    limits: limits.clone(),
                    renders: renders.clone(),
                    served: Arc::new(AtomicUsize::new(0)),
                };
                tokio::spawn(async move {
                    conn.run(stream, peer).await;
                    drop(permit);
                });
            }
            Err(_) => {
                tracing::warn!(
                    "{peer}: {} connections open already; refused",
                    limits.max_connections
                );
                tokio::spawn(refuse(stream));
            }
        }
    }
}

/// What one connection's requests share.
#[derive(Clone)]
struct Connection {
    state: Arc<State>,
    limits: Arc<Limits>,
    renders: Arc<Semaphore>,
    served: Arc<AtomicUsize>,
}

impl Connection {
    async fn run(self, stream: TcpStream, peer: SocketAddr) {
        let limits = self.limits.clone();
        let service = hyper::service::service_fn(move |req| {
            let conn = self.clone();
            async move { Ok::<_, Infallible>(conn.handle(req).await) }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_header_size(limits.max_header_bytes)
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        tokio::pin!(conn);
        let result = tokio::select! {
            r = conn.as_mut() => r,
            () = tokio::time::sleep(limits.connection_max_age) => {
                conn.as_mut().graceful_shutdown();
                tokio::time::timeout(SHUTDOWN_GRACE, conn.as_mut())
                    .await
                    .unwrap_or(Ok(()))
            }
        };
        if let Err(e) = result {
            tracing::debug!("connection from {peer}: {e}");
        }
    }

    async fn handle(&self, req: Request<hyper::body::Incoming>) -> Reply {
        let n = self.served.fetch_add(1, Ordering::Relaxed) + 1;
        let (method, uri, headers) = (
            req.method().clone(),
            req.uri().clone(),
            req.headers().clone(),
        );
        let path = uri.path().to_string();
        let query = uri.query().unwrap_or("").to_string();
        let state = self.state.clone();
        let renders = self.renders.clone();
        let job = async move {
            // A health check must answer while every render slot is taken.
            let permit = match path.as_str() {
                "/healthz" => None,
                _ => Some(renders.acquire_owned().await),
            };
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                respond(&state, &method, &path, &query, &headers)
            })
            .await
        };
        let mut reply = match tokio::time::timeout(self.limits.request_timeout, job).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(e)) => {
                tracing::error!("request handler failed: {e}");
                respond::text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
            }
            Err(_) => {
                let mut r = respond::text(StatusCode::SERVICE_UNAVAILABLE, "took too long\n");
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                r
            }
        };
        respond::secure(reply.headers_mut());
        if n >= self.limits.max_requests_per_connection {
            reply
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        reply
    }
}

/// Over the connection cap: a short 503, then the socket is closed. The request is
/// read (briefly) first so that closing does not reset the connection under the reply.
async fn refuse(mut stream: TcpStream) {
    const REPLY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
        Content-Length: 21\r\nRetry-After: 1\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n\
        \r\ntoo many connections\n";
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut sink)).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(REPLY).await?;
        stream.shutdown().await
    })
    .await;
}

/// The HTTP-date form of `t` (RFC 9110 IMF-fixdate).
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Binds `addr`; a clear message when it is taken or not allowed.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("--addr {addr}: cannot listen: {e}"))
}
