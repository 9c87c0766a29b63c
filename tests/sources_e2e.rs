//! The API sources end to end through the real binary: one record per work across
//! PubMed, Europe PMC and a table-of-contents feed; windows that move forward;
//! preprint links; resumable backfill.

#[path = "common/http_server.rs"]
mod http_server;
#[path = "common/test_home.rs"]
mod test_home;

use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Days, Utc};
use http_server::{Reply, Request, Routes, TestServer};
use serde_json::{Value, json};
use test_home::TestHome;

const DOI: &str = "10.1038/s41380-024-02501-1";

test_home::home_newtype!(Env);

impl Env {
    /// A home whose config holds `feeds` (TOML) and polite test settings.
    fn new(feeds: &str) -> Env {
        let home = TestHome::new();
        let text = format!(
            "include_builtin_feeds = false\n[http]\nper_host_interval_ms = 0\n\
             [pubmed]\ntool = \"ketlit-test\"\nemail = \"test@example.org\"\n{feeds}"
        );
        std::fs::write(home.config(), text).unwrap();
        Env(home)
    }

    /// How many entries `ketlit list --format json` prints.
    async fn listed(&self) -> usize {
        self.json(&["list", "--format", "json"])
            .await
            .as_array()
            .unwrap()
            .len()
    }
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn query(r: &Request, key: &str) -> Option<String> {
    url::Url::parse(&format!("http://x{}", r.target))
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn pubmed_routes(routes: Routes) -> Routes {
    routes
        .reply(
            "/eutils/esearch.fcgi",
            Reply::ok(
                "<?xml version=\"1.0\"?><eSearchResult><Count>1</Count><RetMax>0</RetMax><RetStart>0</RetStart>\
                 <QueryKey>1</QueryKey><WebEnv>WE1</WebEnv><IdList/></eSearchResult>",
            ),
        )
        .reply(
            "/eutils/efetch.fcgi",
            Reply::ok(format!(
                "<?xml version=\"1.0\"?><PubmedArticleSet><PubmedArticle><MedlineCitation><PMID Version=\"1\">38701234</PMID>\
                 <Article><Journal><Title>Molecular psychiatry</Title><JournalIssue><PubDate><Year>2024</Year><Month>May</Month><Day>02</Day></PubDate></JournalIssue></Journal>\
                 <ArticleTitle>Esketamine nasal spray versus quetiapine for treatment-resistant depression.</ArticleTitle>\
                 <Abstract><AbstractText Label=\"BACKGROUND\">Esketamine nasal spray was compared with extended-release quetiapine in adults whose depression had not responded to two antidepressants.</AbstractText>\
                 <AbstractText Label=\"RESULTS\">Remission at week 32 was more frequent with esketamine.</AbstractText></Abstract>\
                 <AuthorList><Author><LastName>Reif</LastName><Initials>A</Initials></Author></AuthorList>\
                 <PublicationTypeList><PublicationType>Randomized Controlled Trial</PublicationType></PublicationTypeList></Article>\
                 <MeshHeadingList><MeshHeading><DescriptorName MajorTopicYN=\"Y\">Ketamine</DescriptorName></MeshHeading></MeshHeadingList>\
                 </MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType=\"pubmed\">38701234</ArticleId>\
                 <ArticleId IdType=\"doi\">{DOI}</ArticleId></ArticleIdList></PubmedData></PubmedArticle></PubmedArticleSet>"
            )),
        )
}

fn epmc_reply(hits: usize, results: Vec<Value>, next: Option<&str>) -> Reply {
    let mut doc = json!({"hitCount": hits, "resultList": {"result": results}});
    if let Some(n) = next {
        doc["nextCursorMark"] = n.into();
    }
    Reply::ok(doc.to_string()).header("Content-Type", "application/json")
}

fn toc_rss() -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:prism=\"http://prismstandard.org/namespaces/basic/2.0/\">\
         <channel><title>Mol Psychiatry</title><link>https://www.nature.com/mp</link>\
         <item><title>Esketamine versus quetiapine in TRD</title><link>https://www.nature.com/articles/s41380-024-02501-1</link>\
         <description>Molecular Psychiatry, Published online: 02 May 2024.</description><prism:doi>{DOI}</prism:doi></item>\
         <item><title>Ketamine and the journal version of a preprint</title><link>https://www.nature.com/articles/x</link>\
         <prism:doi>10.1000/journal.7</prism:doi></item>\
         </channel></rss>"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn one_work_from_pubmed_europepmc_and_a_toc_is_one_entry_with_three_sources() {
    let routes = pubmed_routes(Routes::new())
        .handle("/rest/search", |_| {
            epmc_reply(
                1,
                vec![json!({"id": "38701234", "source": "MED", "pmid": "38701234", "pmcid": "PMC11111111",
                    "doi": DOI.to_uppercase(), "title": "Esketamine nasal spray versus quetiapine for TRD",
                    "keywordList": {"keyword": ["esketamine", "treatment-resistant depression"]},
                    "firstIndexDate": "2024-05-03"})],
                None,
            )
        })
        .reply("/toc.rss", Reply::ok(toc_rss()));
    let server = TestServer::start(routes).await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"pubmed\"\nkind = \"pubmed\"\nurl = \"{}\"\n\
         [[feed]]\nname = \"europepmc\"\nkind = \"europepmc\"\nurl = \"{}\"\n\
         [[feed]]\nname = \"mol-psychiatry\"\nurl = \"{}\"\n",
        server.url("/eutils/esearch.fcgi?db=pubmed&term=ketamine"),
        server.url("/rest/search?query=ketamine"),
        server.url("/toc.rss"),
    ));
    let o = env.run(&["fetch"]).await;
    assert!(o.status.success(), "{}", out(&o));
    let all = env.list_all().await;
    let same: Vec<&Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["doi"] == DOI)
        .collect();
    assert_eq!(same.len(), 1, "{all:#}");
    let e = same[0];
    let mut sources: Vec<&str> = e["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    sources.sort();
    assert_eq!(sources, ["europepmc", "mol-psychiatry", "pubmed"]);
    assert_eq!(e["pmid"], "38701234");
    assert_eq!(e["pmcid"], "PMC11111111", "Europe PMC fills the PMCID");
    let shown = env
        .json(&["show", &e["id"].to_string(), "--format", "json"])
        .await;
    assert!(
        shown["abstract"]
            .as_str()
            .unwrap()
            .starts_with("BACKGROUND:"),
        "PubMed's abstract wins: {shown:#}"
    );
    assert_eq!(shown["mesh"], json!(["Ketamine*"]));
    assert_eq!(shown["seen_in"].as_array().unwrap().len(), 3);

    // The windows: the first run looks back 30 days, the next from its last success
    // less two days; nothing is duplicated across runs.
    let today = Utc::now().date_naive();
    let fmt = |d: chrono::NaiveDate| d.format("%Y/%m/%d").to_string();
    let o = env.run(&["fetch"]).await;
    assert!(o.status.success(), "{}", out(&o));
    let searches = server.requests_to("/eutils/esearch.fcgi");
    assert_eq!(
        query(&searches[0], "mindate"),
        Some(fmt(today - Days::new(30)))
    );
    assert_eq!(
        query(&searches[1], "mindate"),
        Some(fmt(today - Days::new(2)))
    );
    assert_eq!(query(&searches[1], "maxdate"), Some(fmt(today)));
    assert_eq!(query(&searches[0], "tool").as_deref(), Some("ketlit-test"));
    let epmc = server.requests_to("/rest/search");
    assert!(query(&epmc[1], "query").unwrap().contains(&format!(
        "FIRST_IDATE:[{} TO {today}]",
        today - Days::new(2)
    )));
    let again = env.list_all().await;
    assert_eq!(
        again.as_array().unwrap().len(),
        all.as_array().unwrap().len()
    );
    assert!(
        out(&o).contains("pubmed                       0 new, 0 updated, 1 unchanged"),
        "{}",
        out(&o)
    );
}

/// An efetch page of over 64 KiB with `&` in it whose byte 65,536 falls inside a
/// two-byte character (an accented author name), as real pages do.
fn efetch_over_64_kib() -> String {
    let head = "<?xml version=\"1.0\"?><PubmedArticleSet><PubmedArticle><MedlineCitation>\
        <PMID Version=\"1\">38700001</PMID><Article><ArticleTitle>Ketamine &amp; esketamine in \
        treatment-resistant depression.</ArticleTitle><Abstract><AbstractText>";
    let mut doc = String::from(head);
    while doc.len() < 65_535 - 40 {
        doc.push_str("Ketamine was given to adults with depression. ");
    }
    while doc.len() < 65_535 {
        doc.push('x');
    }
    doc.push_str("é Müller Sørensen &amp; Gonçalves.</AbstractText></Abstract>");
    assert!(!doc.is_char_boundary(65_536));
    doc.push_str(
        "<AuthorList><Author><LastName>Müller</LastName><Initials>É</Initials></Author></AuthorList>\
         </Article></MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType=\"pubmed\">38700001</ArticleId>\
         </ArticleIdList></PubmedData></PubmedArticle></PubmedArticleSet>",
    );
    doc
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pubmed_page_over_64_kib_cut_inside_a_character_does_not_abort_the_fetch_pass() {
    let routes = Routes::new()
        .reply(
            "/eutils/esearch.fcgi",
            Reply::ok(
                "<?xml version=\"1.0\"?><eSearchResult><Count>1</Count><RetMax>0</RetMax><RetStart>0</RetStart>\
                 <QueryKey>1</QueryKey><WebEnv>WE1</WebEnv><IdList/></eSearchResult>",
            ),
        )
        .reply("/eutils/efetch.fcgi", Reply::ok(efetch_over_64_kib()))
        .reply("/toc.rss", Reply::ok(toc_rss()));
    let server = TestServer::start(routes).await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"pubmed\"\nkind = \"pubmed\"\nurl = \"{}\"\n\
         [[feed]]\nname = \"mol-psychiatry\"\nurl = \"{}\"\n",
        server.url("/eutils/esearch.fcgi?db=pubmed&term=ketamine"),
        server.url("/toc.rss"),
    ));
    let o = env.run(&["fetch"]).await;
    // Whatever the PubMed page does, the pass completes: no crash (exit 101), and the
    // other feed's entries are stored.
    assert!(matches!(o.status.code(), Some(0 | 2)), "{}", out(&o));
    let all = env.list_all().await;
    let titles: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["title"].as_str())
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("quetiapine in TRD")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.contains("Ketamine & esketamine")),
        "{titles:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_preprint_is_linked_to_its_published_doi_and_tagged() {
    let today = Utc::now().date_naive();
    let base = format!("/details/medrxiv/{}/{today}/0", today - Days::new(30));
    let preprint = json!({"doi": "10.1101/2024.03.01.24303501", "title": "Ketamine preprint that became an article",
        "authors": "Doe, J.; Roe, R.", "date": "2024-03-01", "version": "1", "type": "new results",
        "category": "psychiatry and clinical psychology", "abstract": "A ketamine abstract.",
        "published": "10.1000/journal.7", "server": "medRxiv"});
    let doc = json!({"messages": [{"status": "ok", "cursor": "0", "count": 1, "total": "1"}], "collection": [preprint]});
    let server = TestServer::start(
        Routes::new()
            .reply(&base, Reply::ok(doc.to_string()))
            .reply("/toc.rss", Reply::ok(toc_rss())),
    )
    .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"medrxiv\"\nkind = \"biorxiv\"\nurl = \"{}\"\nfilter = \"ketamine\"\n\
         [[feed]]\nname = \"journal\"\nurl = \"{}\"\n",
        server.url("/details/medrxiv"),
        server.url("/toc.rss"),
    ));
    let o = env.run(&["fetch"]).await;
    assert!(o.status.success(), "{}", out(&o));
    let all = env.list_all().await;
    let find = |doi: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|e| e["doi"] == doi)
            .unwrap()
            .clone()
    };
    let (pre, pubd) = (
        find("10.1101/2024.03.01.24303501"),
        find("10.1000/journal.7"),
    );
    assert_eq!(
        pre["links"],
        json!([{"rel": "published-as", "id": pubd["id"]}])
    );
    assert_eq!(
        pubd["links"],
        json!([{"rel": "preprint-of", "id": pre["id"]}])
    );
    assert_eq!(
        pre["tags"],
        json!(["drug:ketamine", "type:preprint"]),
        "the source's type tag and the tagger's"
    );
    let only_preprints = env
        .json(&["list", "--type", "preprint", "--format", "json"])
        .await;
    assert_eq!(only_preprints.as_array().unwrap().len(), 1);
    let text = env.run(&["show", &pre["id"].to_string()]).await;
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("published-as"),
        "{}",
        out(&text)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_backfill_resumes_where_it_stopped() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let server = TestServer::start(Routes::new().handle("/rest/search", move |r| {
        let page = |from: usize| {
            (from..from + 2)
                .map(|n| {
                    json!({"id": n.to_string(), "source": "MED", "pmid": (7000 + n).to_string(),
                    "title": format!("Ketamine backfill paper {n}")})
                })
                .collect::<Vec<_>>()
        };
        match query(r, "cursorMark").as_deref() {
            Some("*") => epmc_reply(6, page(0), Some("c2")),
            // The second page fails the first time it is asked for.
            Some("c2") if c.fetch_add(1, Ordering::SeqCst) == 0 => Reply::status(503),
            Some("c2") => epmc_reply(6, page(2), Some("c3")),
            Some("c3") => epmc_reply(6, page(4), None),
            _ => Reply::status(400),
        }
    }))
    .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"epmc\"\nkind = \"europepmc\"\nurl = \"{}\"\n",
        server.url("/rest/search?query=ketamine")
    ));
    let o = env.run(&["fetch", "--since", "2015-01-01", "epmc"]).await;
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        out(&o).contains("run the same command again to continue"),
        "{}",
        out(&o)
    );
    assert_eq!(env.listed().await, 2);
    let first_run = server.requests_to("/rest/search").len();
    assert!(
        query(&server.requests_to("/rest/search")[0], "query")
            .unwrap()
            .contains("FIRST_IDATE:[2015-01-01 TO")
    );

    let o = env.run(&["fetch", "--since", "2015-01-01", "epmc"]).await;
    assert!(o.status.success(), "{}", out(&o));
    let reqs = server.requests_to("/rest/search");
    assert_eq!(
        query(&reqs[first_run], "cursorMark").as_deref(),
        Some("c2"),
        "resumed, not restarted"
    );
    assert_eq!(env.listed().await, 6);
    assert!(
        out(&o).contains("backfill since 2015-01-01: 4 new"),
        "{}",
        out(&o)
    );

    // Done: the same command starts a fresh backfill, which duplicates nothing.
    let o = env.run(&["fetch", "--since", "2015-01-01", "epmc"]).await;
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(
        query(
            &server.requests_to("/rest/search")[reqs.len()],
            "cursorMark"
        )
        .as_deref(),
        Some("*")
    );
    assert_eq!(env.listed().await, 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_run_stores_its_pages_as_they_arrive_and_a_failure_midway_keeps_them_and_the_window()
{
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let server = TestServer::start(Routes::new().handle("/rest/search", move |r| {
        let page = |from: usize| {
            (from..from + 2)
                .map(|n| {
                    json!({"id": n.to_string(), "source": "MED", "pmid": (8000 + n).to_string(),
                    "title": format!("Ketamine paper {n}")})
                })
                .collect::<Vec<_>>()
        };
        match query(r, "cursorMark").as_deref() {
            Some("*") => epmc_reply(4, page(0), Some("c2")),
            // The second page fails the first time.
            Some("c2") if c.fetch_add(1, Ordering::SeqCst) == 0 => Reply::status(503),
            Some("c2") => epmc_reply(4, page(2), None),
            _ => Reply::status(400),
        }
    }))
    .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"epmc\"\nkind = \"europepmc\"\nurl = \"{}\"\n",
        server.url("/rest/search?query=ketamine")
    ));
    let o = env.run(&["fetch", "epmc"]).await;
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert_eq!(
        env.listed().await,
        2,
        "the first page was stored as it came"
    );
    let feeds = env.json(&["feeds", "list", "--format", "json"]).await;
    let f = &feeds["feeds"][0];
    assert_eq!(f["last_status"], "error", "{f:#}");
    assert!(
        f["last_success_at"].is_null(),
        "the window did not move: {f:#}"
    );

    let o = env.run(&["fetch", "epmc"]).await;
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(env.listed().await, 4);
    // Both runs asked for the same window, and the second summed its pages.
    let reqs = server.requests_to("/rest/search");
    let first = query(&reqs[0], "query").unwrap();
    assert_eq!(query(&reqs[2], "query").unwrap(), first);
    assert!(
        out(&o).contains("epmc                         2 new, 0 updated, 2 unchanged"),
        "{}",
        out(&o)
    );
}
