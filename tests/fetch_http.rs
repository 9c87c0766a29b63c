//! End-to-end tests of `ketlit::fetch` against scripted servers on 127.0.0.1.

#[path = "common/http_server.rs"]
mod http_server;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_server::{Reply, Routes, TestServer, Wire};
use ketlit::fetch::{
    Document, FetchError, FetchOutcome, Fetcher, HttpSettings, RetryAfter, Validators,
};

/// No politeness delay, so tests that are not about spacing run fast.
fn quick_settings() -> HttpSettings {
    HttpSettings {
        per_host_interval: Duration::ZERO,
        timeout: Duration::from_secs(10),
        ..HttpSettings::default()
    }
}

fn fetcher() -> Fetcher {
    Fetcher::new(&quick_settings()).expect("client builds")
}

fn fetcher_with(f: impl FnOnce(&mut HttpSettings)) -> Fetcher {
    let mut settings = quick_settings();
    f(&mut settings);
    Fetcher::new(&settings).expect("client builds")
}

fn none() -> Validators {
    Validators::default()
}

/// Unpacks a `Modified` outcome: (body, validators, final_url, permanent_redirect).
fn modified(outcome: FetchOutcome) -> (Vec<u8>, Validators, String, Option<String>) {
    match outcome {
        FetchOutcome::Modified(d) => (d.body, d.validators, d.final_url, d.permanent_redirect),
        other => panic!("expected Modified, got {other:?}"),
    }
}

const ETAG: &str = "W/\"abc-123\"";
const LAST_MODIFIED: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

#[tokio::test]
async fn conditional_get_round_trip() {
    let routes = Routes::new().handle("/feed", |req| {
        if req.header("if-none-match") == Some(ETAG) {
            Reply::not_modified()
        } else {
            Reply::ok("<rss/>")
                .header("ETag", ETAG)
                .header("Last-Modified", LAST_MODIFIED)
                .header("Content-Type", "application/rss+xml; charset=utf-8")
                .header("Cache-Control", "public, max-age=300")
        }
    });
    let server = TestServer::start(routes).await;
    let fetcher = fetcher();

    let first = fetcher.get(&server.url("/feed"), &none()).await.unwrap();
    let FetchOutcome::Modified(Document {
        body,
        content_type,
        validators,
        final_url,
        permanent_redirect,
        status,
        cache,
    }) = first
    else {
        panic!("expected Modified, got {first:?}");
    };
    assert_eq!(body, b"<rss/>");
    assert_eq!(status, 200);
    assert_eq!(
        content_type.as_deref(),
        Some("application/rss+xml; charset=utf-8")
    );
    assert_eq!(validators.etag.as_deref(), Some(ETAG));
    assert_eq!(validators.last_modified.as_deref(), Some(LAST_MODIFIED));
    assert_eq!(final_url, server.url("/feed"));
    assert_eq!(permanent_redirect, None);
    assert_eq!(cache.max_age, Some(Duration::from_secs(300)));

    let second = fetcher
        .get(&server.url("/feed"), &validators)
        .await
        .unwrap();
    // The 304 carried no validators, so the ones sent are kept.
    assert_eq!(
        second,
        FetchOutcome::NotModified {
            validators: validators.clone()
        }
    );

    let requests = server.requests_to("/feed");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("if-none-match"), None);
    assert_eq!(requests[0].header("if-modified-since"), None);
    assert_eq!(requests[1].header("if-none-match"), Some(ETAG));
    assert_eq!(requests[1].header("if-modified-since"), Some(LAST_MODIFIED));
}

#[tokio::test]
async fn not_modified_refreshes_validators_when_present() {
    let routes = Routes::new().reply("/feed", Reply::not_modified().header("ETag", "\"v2\""));
    let server = TestServer::start(routes).await;
    let sent = Validators {
        etag: Some("\"v1\"".into()),
        last_modified: None,
    };
    let outcome = fetcher().get(&server.url("/feed"), &sent).await.unwrap();
    assert_eq!(
        outcome,
        FetchOutcome::NotModified {
            validators: Validators {
                etag: Some("\"v2\"".into()),
                last_modified: None,
            }
        }
    );
}

#[tokio::test]
async fn user_agent_and_accept_encoding_are_sent() {
    let server = TestServer::start(Routes::new().reply("/", Reply::ok("hi"))).await;
    fetcher().get(&server.url("/"), &none()).await.unwrap();
    let req = &server.requests()[0];
    assert_eq!(req.method, "GET");
    assert_eq!(
        req.header("user-agent"),
        Some("ketlit/0.1 (+https://github.com/ketlit/ketlit)")
    );
    let accept = req.header("accept-encoding").unwrap_or_default();
    assert!(accept.contains("gzip") && accept.contains("br"), "{accept}");
}

#[tokio::test]
async fn gzip_and_brotli_bodies_are_decoded() {
    let text = "ketamine ".repeat(1000);
    let routes = Routes::new()
        .reply("/gz", Reply::ok(text.clone()).gzip())
        .reply("/br", Reply::ok(text.clone()).brotli());
    let server = TestServer::start(routes).await;
    let fetcher = fetcher();
    for path in ["/gz", "/br"] {
        let (body, ..) = modified(fetcher.get(&server.url(path), &none()).await.unwrap());
        assert_eq!(body, text.as_bytes(), "{path}");
    }
}

#[tokio::test]
async fn gzip_bomb_is_refused_without_inflating_it() {
    let server =
        TestServer::start(Routes::new().reply("/bomb", Reply::gzip_bomb(50_000_000))).await;
    let fetcher = fetcher_with(|s| s.max_body_bytes = 1_000_000);
    let started = Instant::now();
    let err = fetcher
        .get(&server.url("/bomb"), &none())
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge { limit: 1_000_000 });
    assert!(!err.is_transient());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn oversized_body_without_length_is_cut() {
    let routes = Routes::new().reply(
        "/big",
        Reply::ok(vec![b'a'; 2_000_000]).wire(Wire::CloseDelimited),
    );
    let server = TestServer::start(routes).await;
    let fetcher = fetcher_with(|s| s.max_body_bytes = 1_000_000);
    let err = fetcher.get(&server.url("/big"), &none()).await.unwrap_err();
    assert_eq!(err, FetchError::TooLarge { limit: 1_000_000 });
    assert_eq!(err.to_string(), "body larger than 1000000 bytes");
}

#[tokio::test]
async fn body_exactly_at_the_limit_is_accepted() {
    let routes = Routes::new()
        .reply("/len", Reply::ok(vec![b'a'; 1000]))
        .reply(
            "/close",
            Reply::ok(vec![b'a'; 1000]).wire(Wire::CloseDelimited),
        );
    let server = TestServer::start(routes).await;
    let fetcher = fetcher_with(|s| s.max_body_bytes = 1000);
    for path in ["/len", "/close"] {
        let (body, ..) = modified(fetcher.get(&server.url(path), &none()).await.unwrap());
        assert_eq!(body.len(), 1000, "{path}");
    }
}

#[tokio::test]
async fn huge_content_length_is_refused_before_reading() {
    // Declares 5 GB and sends nothing; refusing must not wait for or allocate it.
    let routes = Routes::new().reply(
        "/huge",
        Reply::ok("")
            .header("Content-Length", "5000000000")
            .wire(Wire::Drip(Duration::from_secs(1))),
    );
    let server = TestServer::start(routes).await;
    let started = Instant::now();
    let err = fetcher()
        .get(&server.url("/huge"), &none())
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge { limit: 20_000_000 });
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn truncated_body_is_an_error() {
    let routes = Routes::new().reply(
        "/short",
        Reply::ok(vec![b'x'; 1000]).wire(Wire::TruncateAfter(10)),
    );
    let server = TestServer::start(routes).await;
    let err = fetcher()
        .get(&server.url("/short"), &none())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::Truncated {
            got: 10,
            expected: 1000
        }
    );
    assert!(err.is_transient());
    assert_eq!(
        err.to_string(),
        "connection closed before the body was complete (got 10 of 1000 bytes)"
    );
}

#[tokio::test]
async fn dripping_server_is_cut_by_total_timeout() {
    let routes = Routes::new().reply(
        "/drip",
        Reply::ok(vec![b'x'; 100]).wire(Wire::Drip(Duration::from_millis(100))),
    );
    let server = TestServer::start(routes).await;
    let fetcher = fetcher_with(|s| s.timeout = Duration::from_secs(1));
    let started = Instant::now();
    let err = fetcher
        .get(&server.url("/drip"), &none())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        err,
        FetchError::Timeout {
            after: Duration::from_secs(1)
        }
    );
    assert_eq!(err.to_string(), "timed out after 1 s");
    assert!(err.is_transient());
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn silent_server_is_cut_by_timeout() {
    let server = TestServer::start(Routes::new().reply("/", Reply::ok("x").wire(Wire::Hang))).await;
    let fetcher = fetcher_with(|s| s.timeout = Duration::from_secs(1));
    let started = Instant::now();
    let err = fetcher.get(&server.url("/"), &none()).await.unwrap_err();
    assert_eq!(
        err,
        FetchError::Timeout {
            after: Duration::from_secs(1)
        }
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn error_statuses_are_classified() {
    let routes = Routes::new()
        .reply("/500", Reply::status(500))
        .reply("/404", Reply::status(404))
        .reply("/410", Reply::status(410))
        .reply("/503", Reply::status(503).header("Retry-After", "120"));
    let server = TestServer::start(routes).await;
    let fetcher = fetcher();
    let get = |path: &'static str| {
        let fetcher = fetcher.clone();
        let url = server.url(path);
        async move { fetcher.get(&url, &none()).await.unwrap_err() }
    };

    let e500 = get("/500").await;
    assert_eq!(e500.status(), Some(500));
    assert!(e500.is_transient());
    assert_eq!(e500.to_string(), "HTTP 500 Internal Server Error");

    let e404 = get("/404").await;
    assert_eq!(e404.status(), Some(404));
    assert!(!e404.is_transient());

    let e410 = get("/410").await;
    assert_eq!(e410.status(), Some(410));
    assert!(!e410.is_transient());
    assert_eq!(e410.to_string(), "HTTP 410 Gone");

    let e503 = get("/503").await;
    assert_eq!(
        e503.retry_after(),
        Some(RetryAfter(Duration::from_secs(120)))
    );
    assert!(e503.is_transient());
    assert_eq!(
        e503.to_string(),
        "HTTP 503 Service Unavailable (retry after 120 s)"
    );
}

#[tokio::test]
async fn too_many_requests_carries_retry_after() {
    let in_a_minute = (chrono::Utc::now() + chrono::Duration::seconds(60))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let routes = Routes::new()
        .reply("/secs", Reply::status(429).header("Retry-After", "7"))
        .reply(
            "/date",
            Reply::status(429).header("Retry-After", &in_a_minute),
        )
        .reply("/junk", Reply::status(429).header("Retry-After", "later"));
    let server = TestServer::start(routes).await;
    let fetcher = fetcher();

    let err = fetcher
        .get(&server.url("/secs"), &none())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::Status {
            code: 429,
            retry_after: Some(RetryAfter(Duration::from_secs(7)))
        }
    );
    assert!(err.is_transient());

    let err = fetcher
        .get(&server.url("/date"), &none())
        .await
        .unwrap_err();
    let delay = err.retry_after().expect("date parsed").delay();
    assert!(
        delay > Duration::from_secs(50) && delay <= Duration::from_secs(61),
        "{delay:?}"
    );

    let err = fetcher
        .get(&server.url("/junk"), &none())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), None);
}

#[tokio::test]
async fn redirect_chain_is_followed() {
    let routes = Routes::new()
        .reply("/a", Reply::redirect(301, "/b"))
        .reply("/b", Reply::redirect(302, "c")) // relative to /b
        .reply("/c", Reply::redirect(308, "/final?x=1"))
        .reply("/final", Reply::ok("done"));
    let server = TestServer::start(routes).await;
    let (body, _, final_url, permanent) =
        modified(fetcher().get(&server.url("/a"), &none()).await.unwrap());
    assert_eq!(body, b"done");
    assert_eq!(final_url, server.url("/final?x=1"));
    // One 302 in the chain means the original URL must be kept.
    assert_eq!(permanent, None);
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn all_permanent_chain_reports_new_location() {
    let routes = Routes::new()
        .reply("/old", Reply::redirect(301, "/older"))
        .reply("/older", Reply::redirect(308, "/new"))
        .reply("/new", Reply::ok("moved"));
    let server = TestServer::start(routes).await;
    let (_, _, final_url, permanent) =
        modified(fetcher().get(&server.url("/old"), &none()).await.unwrap());
    assert_eq!(final_url, server.url("/new"));
    assert_eq!(permanent, Some(server.url("/new")));
}

#[tokio::test]
async fn validators_are_sent_on_every_hop() {
    let routes = Routes::new()
        .reply("/old", Reply::redirect(301, "/new"))
        .handle("/new", |req| {
            if req.header("if-none-match") == Some(ETAG) {
                Reply::not_modified()
            } else {
                Reply::ok("x")
            }
        });
    let server = TestServer::start(routes).await;
    let sent = Validators {
        etag: Some(ETAG.into()),
        last_modified: None,
    };
    let outcome = fetcher().get(&server.url("/old"), &sent).await.unwrap();
    assert!(matches!(outcome, FetchOutcome::NotModified { .. }));
}

#[tokio::test]
async fn redirect_limit_is_enforced() {
    // /r0 -> /r1 -> ... -> /r6 -> /end: six hops.
    let mut routes = Routes::new().reply("/end", Reply::ok("end"));
    for i in 0..6 {
        let next = if i == 5 {
            "/end".to_owned()
        } else {
            format!("/r{}", i + 1)
        };
        routes = routes.reply(&format!("/r{i}"), Reply::redirect(302, &next));
    }
    let server = TestServer::start(routes).await;

    let err = fetcher()
        .get(&server.url("/r0"), &none())
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooManyRedirects { limit: 5 });
    assert!(!err.is_transient());
    assert_eq!(server.hits("/end"), 0);

    // Five hops are within the default limit.
    let (body, ..) = modified(fetcher().get(&server.url("/r1"), &none()).await.unwrap());
    assert_eq!(body, b"end");
}

#[tokio::test]
async fn bad_redirects_are_refused() {
    let routes = Routes::new()
        .reply("/ftp", Reply::redirect(302, "ftp://127.0.0.1/feed"))
        .reply("/file", Reply::redirect(301, "file:///etc/passwd"))
        .reply("/nowhere", Reply::status(302))
        .reply(
            "/binary",
            Reply::status(302).raw_header(b"Location: /\xff".to_vec()),
        );
    let server = TestServer::start(routes).await;
    let fetcher = fetcher();
    for path in ["/ftp", "/file", "/nowhere", "/binary"] {
        let err = fetcher.get(&server.url(path), &none()).await.unwrap_err();
        assert!(matches!(err, FetchError::BadRedirect(_)), "{path}: {err:?}");
        assert!(!err.is_transient());
        assert!(!err.to_string().contains('\n'));
    }
}

#[tokio::test]
async fn requests_to_one_host_are_spaced() {
    let server = TestServer::start(Routes::new().reply("/", Reply::ok("x"))).await;
    let fetcher = fetcher_with(|s| s.per_host_interval = Duration::from_millis(200));
    let started = Instant::now();
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let fetcher = fetcher.clone();
            let url = server.url("/");
            tokio::spawn(async move { fetcher.get(&url, &none()).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert!(started.elapsed() >= Duration::from_millis(400));
    let mut times: Vec<Instant> = server.requests().iter().map(|r| r.at).collect();
    times.sort();
    for pair in times.windows(2) {
        // Arrival is a little after the start we scheduled; allow that jitter.
        assert!(pair[1] - pair[0] >= Duration::from_millis(150), "{times:?}");
    }
}

#[tokio::test]
async fn redirect_hops_are_spaced_too() {
    let routes = Routes::new()
        .reply("/a", Reply::redirect(302, "/b"))
        .reply("/b", Reply::redirect(302, "/c"))
        .reply("/c", Reply::ok("x"));
    let server = TestServer::start(routes).await;
    let fetcher = fetcher_with(|s| s.per_host_interval = Duration::from_millis(200));
    let started = Instant::now();
    fetcher.get(&server.url("/a"), &none()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn different_hosts_do_not_wait_for_each_other() {
    let server = TestServer::start(Routes::new().reply("/", Reply::ok("x"))).await;
    let fetcher = fetcher_with(|s| s.per_host_interval = Duration::from_secs(3));
    let (ip_url, name_url, v) = (
        server.url("/"),
        server.url_with_host("localhost", "/"),
        none(),
    );
    let started = Instant::now();
    let (a, b) = tokio::join!(fetcher.get(&ip_url, &v), fetcher.get(&name_url, &v));
    a.unwrap();
    b.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn host_override_replaces_default_interval() {
    let server = TestServer::start(Routes::new().reply("/", Reply::ok("x"))).await;
    let fetcher = fetcher_with(|s| s.per_host_interval = Duration::from_secs(5));
    fetcher.set_host_interval("127.0.0.1", Duration::from_millis(10));
    assert_eq!(
        fetcher.host_interval("127.0.0.1"),
        Duration::from_millis(10)
    );
    let started = Instant::now();
    for _ in 0..3 {
        fetcher.get(&server.url("/"), &none()).await.unwrap();
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(20));
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn connection_closed_without_response_is_transient() {
    let server = TestServer::start(Routes::new().reply("/", Reply::close_immediately())).await;
    let err = fetcher().get(&server.url("/"), &none()).await.unwrap_err();
    assert!(
        matches!(err, FetchError::Connect(_) | FetchError::Body(_)),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert!(!err.to_string().contains('\n'));
}

#[tokio::test]
async fn refused_connection_is_transient() {
    // Bind then drop to get a port nobody listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let err = fetcher()
        .get(&format!("http://127.0.0.1:{port}/"), &none())
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Connect(_)), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn hostile_headers_do_not_panic() {
    let huge = format!("X-Filler: {}", "a".repeat(512 * 1024));
    let routes = Routes::new()
        .reply(
            "/latin1",
            Reply::ok("ok")
                .raw_header(b"ETag: \"caf\xe9\"".to_vec())
                .raw_header(b"Content-Type: text/xml; charset=\xff".to_vec())
                .raw_header(b"Cache-Control: max-age=\xff".to_vec())
                .raw_header(b"Expires: \xff".to_vec()),
        )
        .reply("/huge", Reply::ok("ok").raw_header(huge.into_bytes()))
        .reply(
            "/garbage",
            Reply::ok("ok").raw_header(b"this is not a header".to_vec()),
        );
    let server = TestServer::start(routes).await;
    let fetcher = fetcher();

    let outcome = fetcher.get(&server.url("/latin1"), &none()).await.unwrap();
    let FetchOutcome::Modified(Document {
        validators,
        content_type,
        cache,
        ..
    }) = outcome
    else {
        panic!("expected Modified");
    };
    assert_eq!(validators, Validators::default());
    assert_eq!(content_type, None);
    assert_eq!(cache.max_age, None);

    let err = fetcher
        .get(&server.url("/huge"), &none())
        .await
        .unwrap_err();
    assert!(!err.to_string().contains('\n'), "{err}");
    // Whatever hyper makes of a malformed line, we get a result, not a panic.
    let _ = fetcher.get(&server.url("/garbage"), &none()).await;
}

#[tokio::test]
async fn invalid_urls_are_rejected_without_network() {
    for url in ["ftp://127.0.0.1/feed", "nonsense", "file:///etc/passwd"] {
        let err = fetcher().get(url, &none()).await.unwrap_err();
        assert!(
            matches!(err, FetchError::InvalidUrl { .. }),
            "{url}: {err:?}"
        );
    }
}

#[tokio::test]
async fn retries_can_be_scripted_with_a_counter() {
    // Demonstrates stateful handlers for other modules' end-to-end tests.
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let routes = Routes::new().handle("/flaky", move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(503)
        } else {
            Reply::ok("ok")
        }
    });
    let server = TestServer::start(routes).await;
    let fetcher = fetcher();
    let err = fetcher
        .get(&server.url("/flaky"), &none())
        .await
        .unwrap_err();
    assert!(err.is_transient());
    let (body, ..) = modified(fetcher.get(&server.url("/flaky"), &none()).await.unwrap());
    assert_eq!(body, b"ok");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
