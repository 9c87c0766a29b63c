//! End-to-end tests of the real `ketlit` binary against feeds served from 127.0.0.1,
//! with a real SQLite file in a temp directory.

#[path = "common/fixtures.rs"]
mod fixtures;
#[path = "common/http_server.rs"]
mod http_server;
#[path = "common/test_home.rs"]
mod test_home;

use std::path::Path;
use std::process::Output;

use fixtures::fixture;
use http_server::{Reply, Request, Routes, TestServer};
use serde_json::Value;
use test_home::TestHome;

test_home::home_newtype!(Env);

impl Env {
    fn new() -> Env {
        Env(TestHome::new())
    }

    /// Writes a config holding only `feeds` (name, url, extra TOML lines).
    fn write_config(&self, http: &str, feeds: &[(&str, String, &str)]) {
        self.write_config_with_feeds(
            &format!(
                "include_builtin_feeds = false\n[http]\nuser_agent = \"ketlit-test/1\"\nper_host_interval_ms = 0\ntimeout_secs = 10\n{http}\n"
            ),
            feeds,
        );
    }
}

/// A server answering each feed's path with its fixture, and a home whose config
/// holds those feeds (name, path, fixture, extra TOML lines).
async fn serve_fixtures(feeds: &[(&str, &str, &str, &str)]) -> (TestServer, Env) {
    let routes = feeds
        .iter()
        .fold(Routes::new(), |routes, (_, path, file, _)| {
            routes.reply(path, Reply::ok(fixture(file)))
        });
    let server = TestServer::start(routes).await;
    let env = Env::new();
    let config: Vec<_> = feeds
        .iter()
        .map(|(name, path, _, extra)| (*name, server.url(path), *extra))
        .collect();
    env.write_config("", &config);
    (server, env)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A feed that answers 304 when the client sends back its ETag.
fn conditional(body: Vec<u8>, etag: &'static str) -> impl Fn(&Request) -> Reply + Send + Sync {
    move |req| {
        if req.header("if-none-match") == Some(etag) {
            Reply::not_modified().header("ETag", etag)
        } else {
            Reply::ok(body.clone())
                .header("Content-Type", "application/rss+xml")
                .header("ETag", etag)
                .header("Last-Modified", "Wed, 01 May 2024 10:00:00 GMT")
        }
    }
}

fn count(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread")]
async fn first_pass_stores_then_304_pass_writes_nothing() {
    let server = TestServer::start(Routes::new().handle(
        "/pubmed.xml",
        conditional(fixture("feeds/pubmed_rss2.xml"), "\"v1\""),
    ))
    .await;
    let env = Env::new();
    env.write_config("", &[("pubmed-rss", server.url("/pubmed.xml"), "")]);

    let out = env.run(&["fetch"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("pubmed-rss"), "{}", stdout(&out));
    let first = env.list_all().await;
    assert!(count(&first) >= 2, "{first}");
    assert_eq!(
        server.requests_to("/pubmed.xml")[0].header("user-agent"),
        Some("ketlit-test/1")
    );

    let db_before = std::fs::metadata(env.db()).unwrap().len();
    let out = env.run(&["fetch"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("not modified"), "{}", stdout(&out));
    let second = server.requests_to("/pubmed.xml")[1].clone();
    assert_eq!(second.header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        second.header("if-modified-since"),
        Some("Wed, 01 May 2024 10:00:00 GMT")
    );
    let again = env.list_all().await;
    assert_eq!(first, again, "a 304 changes no entry");
    assert_eq!(std::fs::metadata(env.db()).unwrap().len(), db_before);

    let feeds = env.json(&["feeds", "list", "--format", "json"]).await["feeds"].clone();
    assert_eq!(feeds[0]["last_status"], "not-modified");
    assert_eq!(feeds[0]["etag"], "\"v1\"");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_feed_does_not_stop_the_good_one_and_fetch_exits_2() {
    let server = TestServer::start(
        Routes::new()
            .reply("/good.xml", Reply::ok(fixture("feeds/pubmed_rss2.xml")))
            .reply("/down.xml", Reply::status(500))
            .reply(
                "/garbage.xml",
                Reply::ok(b"<rss><channel><item><title>x</item>".to_vec()),
            )
            .reply(
                "/cut.xml",
                Reply::ok(fixture("feeds/nature_rdf.xml"))
                    .wire(http_server::Wire::TruncateAfter(400)),
            ),
    )
    .await;
    let env = Env::new();
    env.write_config(
        "",
        &[
            ("good", server.url("/good.xml"), ""),
            ("down", server.url("/down.xml"), ""),
            ("garbage", server.url("/garbage.xml"), ""),
            ("cut", server.url("/cut.xml"), ""),
        ],
    );
    let out = env.run(&["fetch"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("connection closed before the body was complete"),
        "{}",
        stdout(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("down") && text.contains("FAILED: HTTP 500"),
        "{text}"
    );
    assert!(text.contains("garbage") && text.contains("line"), "{text}");
    let stored = env.list_all().await;
    assert!(count(&stored) >= 2);
    assert!(
        stored
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["sources"] == serde_json::json!(["good"])),
        "nothing from the failed feeds is stored: {stored:#}"
    );

    let feeds = env.json(&["feeds", "list", "--format", "json"]).await["feeds"].clone();
    let by_name = |n: &str| {
        feeds
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("down")["consecutive_errors"], 1);
    assert_eq!(by_name("down")["last_http_status"], 500);
    assert_eq!(by_name("good")["last_status"], "ok");
    assert!(
        by_name("garbage")["last_error"]
            .as_str()
            .unwrap()
            .contains("garbage")
    );
    let table = env.run(&["feeds", "list"]).await;
    assert!(
        stdout(&table).contains("last error: HTTP 500"),
        "{}",
        stdout(&table)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_doi_in_two_feeds_is_one_entry_with_two_sources() {
    let (_server, env) = serve_fixtures(&[
        ("pubmed-rss", "/pubmed.xml", "feeds/pubmed_rss2.xml", ""),
        ("nature", "/nature.rss", "feeds/nature_rdf.xml", ""),
    ])
    .await;
    let out = env.run(&["fetch"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let all = env.list_all().await;
    let shared: Vec<&Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["doi"] == "10.1038/s41380-024-02501-1")
        .collect();
    assert_eq!(shared.len(), 1, "{all:#}");
    let mut sources: Vec<String> = shared[0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    sources.sort();
    assert_eq!(sources, vec!["nature", "pubmed-rss"]);
    let id = shared[0]["id"].as_i64().unwrap().to_string();
    let shown = env.json(&["show", &id, "--format", "json"]).await;
    assert_eq!(shown["seen_in"].as_array().unwrap().len(), 2);
    assert!(
        shown["pmid"].is_string(),
        "PubMed's PMID joins the Nature sighting: {shown:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn windows_1252_feed_is_stored_as_correct_utf8() {
    let server = TestServer::start(Routes::new().reply(
        "/cp1252.xml",
        Reply::ok(fixture("feeds/windows1252_rss2.xml")).header("Content-Type", "text/xml"),
    ))
    .await;
    let env = Env::new();
    env.write_config("", &[("cp1252", server.url("/cp1252.xml"), "")]);
    let out = env.run(&["fetch"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let all = env.json(&["list", "--format", "json"]).await;
    let titles: String = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(titles.contains("Montréal"), "{titles}");
    assert!(
        titles.contains('\u{2019}') || titles.contains('\u{201c}'),
        "{titles}"
    );
    assert!(!titles.contains('\u{fffd}'), "{titles}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_body_is_refused_and_nothing_is_stored() {
    let mut big = fixture("feeds/pubmed_rss2.xml");
    big.extend(std::iter::repeat_n(b' ', 50_000));
    let server = TestServer::start(Routes::new().reply("/big.xml", Reply::ok(big))).await;
    let env = Env::new();
    env.write_config(
        "max_body_bytes = 20000",
        &[("big", server.url("/big.xml"), "")],
    );
    let out = env.run(&["fetch"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("larger than 20000 bytes"),
        "{}",
        stdout(&out)
    );
    assert_eq!(count(&env.json(&["list", "--format", "json"]).await), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_search_and_show_round_trip_in_json() {
    let (_server, env) = serve_fixtures(&[
        ("pubmed-rss", "/pubmed.xml", "feeds/pubmed_rss2.xml", ""),
        (
            "arxiv",
            "/arxiv.xml",
            "feeds/arxiv_atom.xml",
            "kind = \"atom\"",
        ),
    ])
    .await;
    assert!(env.run(&["fetch"]).await.status.success());
    let all = env.list_all().await;
    let first = &all[0];
    for key in [
        "id",
        "title",
        "link",
        "published",
        "journal",
        "doi",
        "pmid",
        "pmcid",
        "nct_id",
        "sources",
        "tags",
        "links",
    ] {
        assert!(first.get(key).is_some(), "list json lacks {key}: {first:#}");
    }
    // Newest first.
    let dates: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["published"].as_str())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);

    let only_arxiv = env
        .json(&["list", "--source", "arxiv", "--format", "json"])
        .await;
    assert!(count(&only_arxiv) >= 1);
    assert!(
        only_arxiv
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["sources"] == serde_json::json!(["arxiv"]))
    );

    let hits = env
        .json(&["search", "esketamine", "--format", "json"])
        .await;
    assert!(count(&hits) >= 1, "{hits}");
    let top = &hits[0];
    assert!(
        top["title"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("esketamine"),
        "{top}"
    );

    // A prefix finds what the word does, through the index's vocabulary.
    let prefixed = env
        .json(&["search", "esketam*", "--format", "json", "--limit", "0"])
        .await;
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        let mut ids: Vec<i64> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids
    };
    let whole = env
        .json(&["search", "esketamine", "--format", "json", "--limit", "0"])
        .await;
    assert_eq!(ids(&prefixed), ids(&whole), "{prefixed}");

    // The index lives in a file of its own beside the database: `fetch` left it
    // complete, and a search with it gone (no daemon running) rebuilds it first.
    let index = {
        let mut p = env.db().into_os_string();
        p.push(".search");
        std::path::PathBuf::from(p)
    };
    assert!(index.is_file());
    for suffix in ["", "-wal", "-shm"] {
        let mut f = index.clone().into_os_string();
        f.push(suffix);
        let _ = std::fs::remove_file(f);
    }
    let out = env
        .run(&["search", "esketamine", "--format", "json", "--limit", "0"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "a small rebuild needs no note");
    let rebuilt: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ids(&rebuilt), ids(&whole));
    assert!(index.is_file());

    let jsonl = env
        .run(&["list", "--format", "jsonl", "--limit", "2"])
        .await;
    let lines: Vec<&str> = std::str::from_utf8(&jsonl.stdout)
        .unwrap()
        .lines()
        .collect();
    assert_eq!(lines.len(), 2);
    for l in lines {
        serde_json::from_str::<Value>(l).unwrap();
    }
    let csv = env.run(&["list", "--format", "csv", "--limit", "1"]).await;
    assert!(stdout(&csv).starts_with("id,published,title"));

    let id = top["id"].as_i64().unwrap().to_string();
    let shown = env.json(&["show", &id, "--format", "json"]).await;
    assert_eq!(shown["id"], top["id"]);
    assert!(shown["abstract"].is_string());
    assert!(!shown["seen_in"].as_array().unwrap().is_empty());
    let text = env.run(&["show", &id]).await;
    let text = stdout(&text);
    assert!(
        text.contains("Identifiers") && text.contains("Seen in 1 source(s)"),
        "{text}"
    );

    let table = env.run(&["list", "--format", "table"]).await;
    assert!(
        stdout(&table).lines().all(|l| unicode_width_ok(l, 100)),
        "{}",
        stdout(&table)
    );
}

fn unicode_width_ok(line: &str, max: usize) -> bool {
    line.chars().count() <= max
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_config_bad_flag_and_missing_entry_are_one_line_errors_with_exit_1() {
    let env = Env::new();
    std::fs::write(
        env.config(),
        "[[feed]]\nname = \"x\"\nurl = \"https://x.org/f\"\nkind = \"podcast\"\n",
    )
    .unwrap();
    let out = env.run(&["fetch"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("config.toml: line 4: key `kind`"), "{err}");

    std::fs::write(env.config(), "[schedule]\ndefault = \"hourly\"\n").unwrap();
    let err = stderr(&env.run(&["feeds", "list"]).await);
    assert!(
        err.contains("line 2: key `default`: bad cron expression"),
        "{err}"
    );

    env.write_config("", &[]);
    let out = env.run(&["list", "--limt", "3"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--limt"), "{err}");

    let out = env.run(&["list", "--since", "last tuesday"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--since"), "{}", stderr(&out));

    let out = env.run(&["show", "424242"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no entry with id 424242"));

    let out = env.run(&["fetch", "nope"]).await;
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn parse_prints_the_interface_json_and_names_the_line_of_a_malformed_file() {
    let env = Env::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let good = dir.join("real/biorxiv/rss_1.0_biorxiv.xml");
    let v = env.json(&["parse", good.to_str().unwrap()]).await;
    assert_eq!(v["feed"]["format"], "rss1");
    let e = &v["entries"][0];
    for key in [
        "guid",
        "title",
        "link",
        "summary",
        "published",
        "updated",
        "authors",
        "doi",
        "pmid",
        "pmcid",
        "nct_id",
        "journal",
        "categories",
        "mesh",
        "publication_types",
    ] {
        assert!(e.get(key).is_some(), "parse json lacks {key}");
    }
    assert!(e["doi"].as_str().unwrap().starts_with("10.1101/"));

    let bad = dir.join("feeds/malformed_unclosed.xml");
    let out = env.run(&["parse", bad.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("malformed_unclosed.xml") && err.contains("line"),
        "{err}"
    );

    env.write_config("", &[]);
    let server = TestServer::start(
        Routes::new().reply("/a.xml", Reply::ok(fixture("feeds/pubmed_rss2.xml"))),
    )
    .await;
    let v = env.json(&["parse", &server.url("/a.xml")]).await;
    assert_eq!(v["feed"]["format"], "rss2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_feeds_filter_refuses_entries_and_counts_them() {
    let (_server, env) = serve_fixtures(&[(
        "toc",
        "/toc.xml",
        "feeds/pubmed_rss2.xml",
        "filter = \"title:esketamine\"",
    )])
    .await;
    let out = env.run(&["fetch"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("filtered out"), "{}", stdout(&out));
    let all = env.list_all().await;
    assert!(count(&all) >= 1);
    assert!(all.as_array().unwrap().iter().all(|e| {
        e["title"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("esketamine")
    }));
    let feeds = env.json(&["feeds", "list", "--format", "json"]).await["feeds"].clone();
    assert!(feeds[0]["filtered_out"].as_i64().unwrap() >= 1, "{feeds}");

    std::fs::write(
        env.config(),
        "[[feed]]\nname = \"x\"\nurl = \"https://x.org/f\"\nfilter = \"ketamine AND (\"\n",
    )
    .unwrap();
    let err = stderr(&env.run(&["fetch"]).await);
    assert!(
        err.contains("line 4: key `filter`: feed x: bad filter: column"),
        "{err}"
    );
}

/// Regression: `ketlit parse big.json | head -1` panicked with "Broken pipe".
#[test]
fn output_into_a_closed_pipe_is_not_an_error() {
    use std::io::{BufRead, BufReader};
    let big = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real/europepmc/search_1000results_cancer.json");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ketlit"))
        .arg("parse")
        .arg(&big)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first.trim(), "{");
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn classify_tags_json_lines_and_names_a_bad_line() {
    let env = Env::new();
    env.write_config("", &[]);
    let input = concat!(
        r#"{"id": "a", "title": "Esketamine for treatment-resistant depression", "abstract": "Adults with TRD were randomized to esketamine nasal spray."}"#,
        "\n",
        "{not json\n",
        r#"{"id": 7, "title": "Methoxetamine toxicity", "abstract": "A case series of methoxetamine poisoning."}"#,
        "\n",
        r#"{"id": "c", "title": 3}"#,
        "\n",
    );
    let (db, config) = (env.db(), env.config());
    let out = tokio::task::spawn_blocking(move || {
        assert_cmd::Command::cargo_bin("ketlit")
            .unwrap()
            .arg("classify")
            .env("KETLIT_DB", db)
            .env("KETLIT_CONFIG", config)
            .write_stdin(input)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a bad line makes the exit code 1"
    );
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "the good lines still run");
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["relevant"], true);
    assert_eq!(lines[0]["tags"], serde_json::json!(["trd", "depression"]));
    assert_eq!(lines[1]["id"], 7);
    assert_eq!(lines[1]["relevant"], false);
    assert_eq!(lines[1]["tags"], serde_json::json!([]));
    let err = stderr(&out);
    assert!(err.contains("stdin: line 2: not JSON"), "{err}");
    assert!(
        err.contains("stdin: line 4: \"title\" must be a string"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fetched_entries_are_tagged_shown_with_evidence_and_retagged() {
    let (_server, env) =
        serve_fixtures(&[("pubmed-rss", "/pubmed.xml", "feeds/pubmed_rss2.xml", "")]).await;
    assert!(env.run(&["fetch"]).await.status.success());
    let trd = env
        .json(&["list", "--tag", "trd", "--format", "json"])
        .await;
    assert_eq!(count(&trd), 1, "{trd:#}");
    assert_eq!(trd[0]["tags"][0], "trd");
    let id = trd[0]["id"].to_string();
    let text = stdout(&env.run(&["show", &id]).await);
    assert!(
        text.contains("trd") && text.contains("title: \"treatment-resistant depression\""),
        "{text}"
    );
    let shown = env.json(&["show", &id, "--format", "json"]).await;
    let ev = shown["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["tag"] == "trd")
        .unwrap()
        .clone();
    assert_eq!(ev["field"], "title");
    assert!(ev["span"].is_array());
    let out = env.run(&["retag"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("0 changed"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn relevant_only_feeds_drop_passing_mentions_and_count_them() {
    let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>J Psychiatr Res</title><link>https://x.org</link>
<item><title>Esketamine nasal spray for treatment-resistant depression</title><link>https://x.org/1</link><description>Adults with TRD were randomized to esketamine or placebo nasal spray.</description></item>
<item><title>Psilocybin for major depression</title><link>https://x.org/2</link><description>Novel rapid-acting treatments (e.g., ketamine, psilocybin and brexanolone) are changing care. We randomized adults to psilocybin or waitlist.</description></item>
</channel></rss>"#;
    let server =
        TestServer::start(Routes::new().reply("/toc.xml", Reply::ok(rss.as_bytes().to_vec())))
            .await;
    let env = Env::new();
    env.write_config(
        "",
        &[(
            "toc",
            server.url("/toc.xml"),
            "filter = \"ketamine OR esketamine\"\nrelevant_only = true",
        )],
    );
    let out = env.run(&["fetch"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 new") && stdout(&out).contains("1 filtered out"),
        "{}",
        stdout(&out)
    );
    let all = env.json(&["list", "--format", "json"]).await;
    assert_eq!(count(&all), 1);
    assert!(all[0]["title"].as_str().unwrap().starts_with("Esketamine"));
}

#[tokio::test(flavor = "multi_thread")]
async fn escape_sequences_and_script_links_from_feeds_never_reach_the_terminal_or_the_store() {
    let rss = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>https://j.example/</link>\
        <item><title>\u{1b}[2J\u{1b}[31mKetamine\u{1b}]0;pwned\u{7} for depression</title>\
        <link>javascript:alert(document.cookie)</link><guid>urn:esc:1</guid>\
        <author>x@y (Reif\u{1b}[5m A)</author><category>ket\u{9b}31mamine</category></item>\
        <item><title>Relative link</title><link>/doi/10.1000/rel.1</link><guid>urn:esc:2</guid></item>\
        </channel></rss>";
    let json_feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1", "title": "J",
        "items": [{"id": "jf-1", "title": "Esketamine \u{1b}[1mbold\u{1b}[0m trial",
                   "url": "data:text/html,<script>alert(1)</script>",
                   "content_text": "Abstract \u{7}with a bell."}]
    });
    let server = TestServer::start(Routes::new().reply("/esc.xml", Reply::ok(rss)).reply(
        "/feed.json",
        Reply::ok(json_feed.to_string()).header("Content-Type", "application/feed+json"),
    ))
    .await;
    let env = Env::new();
    env.write_config(
        "",
        &[
            ("esc", server.url("/esc.xml"), ""),
            ("jf", server.url("/feed.json"), ""),
        ],
    );
    let out = env.run(&["fetch"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let all = env.list_all().await;
    let text = all.to_string();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{all:#}"
    );
    assert!(
        !text.contains("\\u001b") && !text.contains("javascript:") && !text.contains("data:"),
        "{all:#}"
    );
    let by_title = |t: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|e| e["title"].as_str().unwrap_or("").contains(t))
            .cloned()
            .unwrap_or_else(|| panic!("no {t}: {all:#}"))
    };
    let esc = by_title("Ketamine");
    assert_eq!(esc["title"], "Ketamine for depression");
    assert!(esc["link"].is_null(), "{esc:#}");
    assert_eq!(
        by_title("Relative")["link"],
        server.url("/doi/10.1000/rel.1"),
        "resolved against the feed's URL"
    );
    assert_eq!(by_title("Esketamine")["title"], "Esketamine bold trial");
    for e in all.as_array().unwrap() {
        for args in [vec!["show", &e["id"].to_string()[..]], vec!["list"]] {
            let o = env.run(&args).await;
            assert!(o.status.success(), "{}", stderr(&o));
            assert!(
                !o.stdout.iter().any(|&b| b == 0x1b || b == 0x07),
                "{args:?} printed a control character: {}",
                stdout(&o)
            );
        }
    }
}
