//! Change tracking end to end through the real binary: a stored PubMed record becomes
//! retracted when a later fetch brings the amended record and its retraction notice,
//! and the event shows in `fetch`, `changes`, `show`, `list --status` and RIS. Also
//! snapshots of the notices parsed from the rebuilt efetch fixtures.

#[path = "common/http_server.rs"]
mod http_server;
#[path = "common/test_home.rs"]
mod test_home;

use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http_server::{Reply, Routes, TestServer};
use serde_json::{Value, json};
use test_home::TestHome;

test_home::home_newtype!(Env);

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/changes/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The articles of efetch documents, as one `PubmedArticleSet`.
fn efetch(docs: &[&str]) -> String {
    let mut body = String::from("<?xml version=\"1.0\" ?>\n<PubmedArticleSet>\n");
    for d in docs {
        let text = fixture(d);
        let start = text.find("<PubmedArticle>").unwrap();
        let end = text.rfind("</PubmedArticleSet>").unwrap();
        body.push_str(&text[start..end]);
    }
    body.push_str("</PubmedArticleSet>\n");
    body
}

fn esearch(count: usize) -> String {
    format!(
        "<?xml version=\"1.0\"?><eSearchResult><Count>{count}</Count><RetMax>0</RetMax><RetStart>0</RetStart>\
         <QueryKey>1</QueryKey><WebEnv>WE1</WebEnv><IdList/></eSearchResult>"
    )
}

/// A PubMed server whose answers move on a phase: 0 the original record alone, 1 the
/// amended record (now a Retracted Publication with RetractionIn) and its notice.
async fn pubmed_server(phase: Arc<AtomicUsize>) -> TestServer {
    let p2 = phase.clone();
    let routes = Routes::new()
        .handle("/eutils/esearch.fcgi", move |_| {
            Reply::ok(esearch(1 + phase.load(Ordering::SeqCst)))
        })
        .handle("/eutils/efetch.fcgi", move |_| {
            Reply::ok(match p2.load(Ordering::SeqCst) {
                0 => efetch(&["pubmed_trial.xml"]),
                _ => efetch(&["pubmed_trial_retracted.xml", "pubmed_retraction_notice.xml"]),
            })
        });
    TestServer::start(routes).await
}

fn home(server: &TestServer) -> Env {
    let home = TestHome::new();
    let text = format!(
        "include_builtin_feeds = false\n[http]\nper_host_interval_ms = 0\n\
         [pubmed]\ntool = \"ketlit-test\"\nemail = \"test@example.org\"\n\
         [[feed]]\nname = \"pubmed\"\nkind = \"pubmed\"\nurl = \"{}\"\n",
        server.url("/eutils/esearch.fcgi?db=pubmed&term=ketamine")
    );
    std::fs::write(home.config(), text).unwrap();
    Env(home)
}

fn id_of(list: &Value, pmid: &str) -> i64 {
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e["pmid"] == pmid)
        .unwrap_or_else(|| panic!("no PMID {pmid} in {list:#}"))["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_work_becomes_retracted_on_a_later_fetch() {
    let phase = Arc::new(AtomicUsize::new(0));
    let server = pubmed_server(phase.clone()).await;
    let env = home(&server);
    let o = env.run(&["fetch"]).await;
    assert!(o.status.success(), "{}", out(&o));
    let before = env.list_all().await;
    let trial = id_of(&before, "36900101");
    assert_eq!(before[0]["status"], Value::Null, "{before:#}");
    assert_eq!(env.json(&["changes", "--format", "json"]).await, json!([]));

    phase.store(1, Ordering::SeqCst);
    let o = env.run(&["fetch"]).await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("1 new status event(s)"), "{}", out(&o));
    assert!(
        out(&o).contains(&format!("  retracted #{trial}: ")),
        "{}",
        out(&o)
    );
    let all = env.list_all().await;
    let notice = id_of(&all, "39800601");

    // One event: the original's RetractionIn and the notice's RetractionOf are the
    // same notice.
    let changes = env
        .json(&["changes", "--since", "1d", "--format", "json"])
        .await;
    let link = "https://pubmed.ncbi.nlm.nih.gov/39800601/";
    assert_eq!(changes.as_array().unwrap().len(), 1, "{changes:#}");
    let c = &changes[0];
    assert_eq!(c["id"], trial);
    assert_eq!(c["kind"], "retracted");
    assert_eq!(c["link"], link);
    assert_eq!(c["related_id"], notice);
    assert_eq!(c["source"], "pubmed");
    assert_eq!(c["date"], "2025-01-28T00:00:00Z", "the notice's date");
    let none = env
        .json(&["changes", "--kind", "corrected", "--format", "json"])
        .await;
    assert_eq!(none, json!([]));

    let shown = env
        .json(&["show", &trial.to_string(), "--format", "json"])
        .await;
    assert_eq!(shown["status"], "retracted");
    assert_eq!(
        shown["events"],
        json!([{"kind": "retracted", "date": "2025-01-28T00:00:00Z", "source": "pubmed",
                "detail": "Retraction in J Affect Disord. 2025 Mar 1;372:601. doi: 10.1016/j.jad.2025.01.060.",
                "link": link, "related_id": notice}])
    );
    let text = env.run(&["show", &trial.to_string()]).await;
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(
        text.starts_with("*** RETRACTED: Retraction in J Affect Disord"),
        "{text}"
    );
    assert!(text.contains("  Status      retracted\n"), "{text}");
    assert!(
        text.contains("    retracted              2025-01-28  Retraction in J Affect Disord"),
        "{text}"
    );
    // The notice itself is not retracted.
    let notice_shown = env
        .json(&["show", &notice.to_string(), "--format", "json"])
        .await;
    assert_eq!(notice_shown["status"], Value::Null);
    assert!(
        !String::from_utf8_lossy(&env.run(&["show", &notice.to_string()]).await.stdout)
            .contains("***")
    );

    let retracted = env
        .json(&["list", "--status", "retracted", "--format", "json"])
        .await;
    let ids: Vec<i64> = retracted
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [trial]);
    assert_eq!(retracted[0]["status"], "retracted");
    let concern = env
        .json(&["list", "--status", "concern", "--format", "json"])
        .await;
    assert_eq!(concern, json!([]));

    let ris = env
        .run(&["export", "--format", "ris", "--status", "retracted"])
        .await;
    assert!(ris.status.success(), "{}", out(&ris));
    let ris = String::from_utf8_lossy(&ris.stdout).to_string();
    assert!(ris.contains(&format!("N1  - RETRACTED: Retraction in J Affect Disord. 2025 Mar 1;372:601. doi: 10.1016/j.jad.2025.01.060. ({link})\r\n")), "{ris}");
    assert_eq!(ris.matches("TY  - ").count(), 1, "{ris}");
    let bib = env
        .run(&["export", "--format", "bibtex", "--status", "retracted"])
        .await;
    assert!(
        String::from_utf8_lossy(&bib.stdout)
            .contains("= {RETRACTED: Retraction in J Affect Disord"),
        "{}",
        out(&bib)
    );

    // Seeing the same records again adds nothing.
    let o = env.run(&["fetch"]).await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(!out(&o).contains("status event"), "{}", out(&o));
    let again = env.json(&["changes", "--format", "json"]).await;
    assert_eq!(again.as_array().unwrap().len(), 1, "{again:#}");
}

#[test]
fn bad_status_and_kind_are_one_line_errors() {
    let env = TestHome::new();
    for args in [
        &["list", "--status", "gone"][..],
        &["changes", "--kind", "gone"][..],
        &["changes", "--since", "yesterday-ish"][..],
    ] {
        let o = env.command(args).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(args[1]), "{args:?}: {err}");
    }
}

fn notices_of(name: &str) -> Value {
    let feed = ketlit::parse::pubmed::parse(&fixture(name), name).unwrap();
    feed.entries
        .iter()
        .map(|e| json!({"pmid": e.pmid, "publication_types": e.publication_types, "notices": e.notices}))
        .collect()
}

#[test]
fn notices_parsed_from_efetch_records() {
    insta::assert_json_snapshot!(
        "retracted_original",
        notices_of("pubmed_trial_retracted.xml")
    );
    insta::assert_json_snapshot!(
        "retraction_notice",
        notices_of("pubmed_retraction_notice.xml")
    );
    insta::assert_json_snapshot!("erratum", notices_of("pubmed_erratum.xml"));
    insta::assert_json_snapshot!("expression_of_concern", notices_of("pubmed_concern.xml"));
    assert_eq!(notices_of("pubmed_trial.xml")[0]["notices"], json!([]));
}
