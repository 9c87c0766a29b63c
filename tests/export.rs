//! Exports read by real consumers: pandoc --citeproc (BibTeX and CSL-JSON), Python's
//! rispy (RIS), jsonschema against the vendored CSL-JSON schema; plus stats, OPML round
//! trips, completions and the man page, all through the real binary.

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/tool.rs"]
mod tool;

use std::path::{Path, PathBuf};
use std::process::Output;

struct Env {
    dir: tempfile::TempDir,
    corpus: corpus::Corpus,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let corpus = corpus::build(&dir.path().join("ketlit.db"));
        Env { dir, corpus }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        assert_cmd::Command::cargo_bin("ketlit")
            .unwrap()
            .args(args)
            .current_dir(self.dir.path())
            .env("KETLIT_DB", self.path("ketlit.db"))
            .env("KETLIT_CONFIG", self.path("config.toml"))
            .env("HOME", self.dir.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// Runs an external tool; a missing tool fails the test (CI installs them).
fn tool(cmd: &str, args: &[&str], dir: &Path) -> String {
    String::from_utf8(tool::run(cmd, args, dir).stdout).unwrap()
}

fn jsonl(env: &Env, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["export", "--format", "jsonl"];
    args.extend_from_slice(extra);
    env.ok(&args)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Lower-case letters and digits only: what survives any style's casing and quoting.
fn alnum(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The first author's family name (or the whole collective name), as JSONL has it.
fn first_author(r: &serde_json::Value) -> Option<String> {
    let a = r["authors"].as_array()?.first()?;
    a["family"]
        .as_str()
        .or(a["literal"].as_str())
        .map(str::to_owned)
}

/// Renders `bib` with pandoc --citeproc (every entry via `nocite: @*`) and checks each
/// record's title and first author are in the bibliography.
fn assert_pandoc_renders(env: &Env, bib: &str, records: &[serde_json::Value]) {
    std::fs::write(
        env.path("doc.md"),
        "---\nnocite: \"@*\"\n---\n\n# References\n",
    )
    .unwrap();
    let text = tool(
        "pandoc",
        &[
            "--citeproc",
            &format!("--bibliography={bib}"),
            "--wrap=none",
            "-t",
            "plain",
            "doc.md",
        ],
        env.dir.path(),
    );
    let flat = alnum(&text);
    for r in records {
        let title = r["title"].as_str().unwrap();
        assert!(
            flat.contains(&alnum(title)),
            "{bib}: title {title:?} not rendered:\n{text}"
        );
        if let Some(a) = first_author(r) {
            assert!(
                flat.contains(&alnum(&a)),
                "{bib}: author {a:?} of {title:?} not rendered"
            );
        }
    }
    // The specials come out as themselves, not as LaTeX or escapes.
    let line = text
        .lines()
        .find(|l| l.contains("NMDA"))
        .unwrap_or_else(|| panic!("{bib}: no NMDA line:\n{text}"));
    for s in [
        "50%",
        "$5",
        "#1",
        "a_b",
        "~x^2",
        "\\",
        "Müller",
        "p<0.05",
        "García-López",
    ] {
        assert!(line.contains(s), "{bib}: {s:?} lost in {line:?}");
    }
    assert!(line.contains(corpus::GROUP), "{bib}: {line}");
}

#[test]
fn bibtex_renders_through_pandoc_citeproc() {
    let env = Env::new();
    let records = jsonl(&env, &[]);
    assert_eq!(records.len(), env.corpus.total);
    env.ok(&["export", "--format", "bibtex", "--output", "refs.bib"]);
    assert_pandoc_renders(&env, "refs.bib", &records);
    let bib = std::fs::read_to_string(env.path("refs.bib")).unwrap();
    assert!(bib.contains(r"50\% \{response\} at \$5 \#1 a\_b"), "{bib}");
    assert!(bib.contains("author    = {van der Berg, Jan and Smith, J. and {NIMH Ketamine Study Group} and García-López, José}"), "{bib}");
    assert!(
        bib.contains("@misc{"),
        "preprints and registrations are @misc"
    );
}

#[test]
fn csl_json_renders_through_pandoc_and_validates_against_the_schema() {
    let env = Env::new();
    let records = jsonl(&env, &[]);
    env.ok(&["export", "--format", "csl-json", "--output", "refs.json"]);
    assert_pandoc_renders(&env, "refs.json", &records);
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csl-data.json");
    let out = tool(
        "python3",
        &[
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1])); data = json.load(open(sys.argv[2]))\n\
             jsonschema.Draft7Validator.check_schema(schema)\n\
             jsonschema.validate(data, schema)\n\
             print('valid', len(data))",
            schema.to_str().unwrap(),
            "refs.json",
        ],
        env.dir.path(),
    );
    assert_eq!(out.trim(), format!("valid {}", records.len()));
    let items: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(env.path("refs.json")).unwrap()).unwrap();
    let types: std::collections::BTreeSet<&str> =
        items.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["article", "article-journal", "report"]
            .into_iter()
            .collect()
    );
    let nasty = items
        .iter()
        .find(|i| i["title"] == corpus::NASTY_TITLE)
        .unwrap();
    assert_eq!(nasty["author"][0]["family"], "Berg");
    assert_eq!(nasty["author"][0]["non-dropping-particle"], "van der");
    assert_eq!(nasty["author"][2]["literal"], corpus::GROUP);
    assert_eq!(nasty["keyword"], "trd, depression");
    assert!(nasty["issued"]["date-parts"][0].as_array().unwrap().len() == 3);
}

/// Every RIS field read back by Python's rispy equals the JSONL export.
#[test]
fn ris_is_read_back_by_rispy_with_every_field() {
    let env = Env::new();
    env.ok(&["export", "--format", "ris", "--output", "refs.ris"]);
    env.ok(&["export", "--format", "jsonl", "--output", "refs.jsonl"]);
    let raw = std::fs::read(env.path("refs.ris")).unwrap();
    let text = String::from_utf8(raw).unwrap();
    assert!(text.ends_with("ER  - \r\n"));
    assert!(
        text.split("\r\n").all(|l| !l.contains('\n')),
        "every line ends in CRLF"
    );
    assert_eq!(text.matches("\r\nER  - \r\n").count(), env.corpus.total);
    let out = tool(
        "python3",
        &["-c", RIS_CHECK, "refs.ris", "refs.jsonl"],
        env.dir.path(),
    );
    assert_eq!(out.trim(), format!("ok {}", env.corpus.total), "{out}");
}

const RIS_CHECK: &str = r#"
import json, sys, rispy
with open(sys.argv[1], newline="") as f:
    ris = {r["id"]: r for r in rispy.load(f)}
recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(ris) == len(recs), (len(ris), len(recs))
ty = {"article": "JOUR", "preprint": "UNPB", "trial-registration": "DBASE"}
flat = lambda s: " ".join((s or "").split()) or None
def name(a):
    if "literal" in a: return a["literal"]
    fam = " ".join(x for x in (a.get("non-dropping-particle"), a["family"]) if x)
    return fam + (", " + a["given"] if a.get("given") else "")
for r in recs:
    x = ris[r["key"]]
    assert x["type_of_reference"] == ty[r["kind"]], (r["key"], x["type_of_reference"])
    assert x["title"] == flat(r["title"]), (x["title"], r["title"])
    assert x.get("authors", []) == [name(a) for a in r["authors"]], (x.get("authors"), r["authors"])
    assert x.get("secondary_title") == r["journal"], r["key"]
    assert x.get("year") == (str(r["year"]) if r["year"] else None), r["key"]
    assert x.get("date") == (r["date"].replace("-", "/") + "/" if r["date"] else None), r["key"]
    assert x.get("doi") == r["doi"], r["key"]
    assert x.get("urls", [None])[0] == r["url"], r["key"]
    assert x.get("abstract") == flat(r["abstract"]), r["key"]
    assert x.get("keywords", []) == r["keywords"], r["key"]
    acc = r["nct_id"] if r["kind"] == "trial-registration" else r["pmid"]
    assert x.get("accession_number") == acc, r["key"]
    assert x.get("custom2") == r["pmcid"], r["key"]
    if r["nct_id"] and r["kind"] != "trial-registration":
        assert "ClinicalTrials.gov: " + r["nct_id"] in x.get("notes", []), r["key"]
print("ok", len(recs))
"#;

#[test]
fn csv_jsonl_and_filters_agree() {
    let env = Env::new();
    let all = jsonl(&env, &[]);
    let csv_text = env.ok(&["export", "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[3], "title");
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), all.len());
    for (row, r) in rows.iter().zip(&all) {
        assert_eq!(row[0], r["id"].to_string());
        assert_eq!(&row[1], r["key"].as_str().unwrap());
        assert_eq!(&row[3], r["title"].as_str().unwrap());
        assert_eq!(&row[8], r["doi"].as_str().unwrap_or(""));
    }
    let keys: std::collections::HashSet<&str> =
        all.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), all.len(), "citation keys are unique");

    let ptsd = jsonl(&env, &["--tag", "ptsd"]);
    let mut ids: Vec<i64> = ptsd.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, env.corpus.ptsd);
    // A key does not depend on what else is exported.
    for r in &ptsd {
        let same = all.iter().find(|a| a["id"] == r["id"]).unwrap();
        assert_eq!(r["key"], same["key"]);
    }
    let twins: Vec<&str> = all
        .iter()
        .filter(|r| {
            r["title"]
                .as_str()
                .unwrap()
                .starts_with("Ketamine for PTSD")
        })
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(twins.len(), 2);
    assert!(
        twins
            .iter()
            .all(|k| k.starts_with("berg20") && k.ends_with(['b', 'c'])),
        "{twins:?}"
    );
    assert_eq!(jsonl(&env, &["--limit", "3"]).len(), 3);
    let preprints = jsonl(&env, &["--type", "preprint"]);
    assert!(!preprints.is_empty() && preprints.iter().all(|r| r["kind"] == "preprint"));
}

#[test]
fn bad_arguments_are_one_line_errors() {
    let env = Env::new();
    for (args, needle) in [
        (vec!["export", "--format", "docx"], "docx"),
        (
            vec!["export", "--format", "ris", "--since", "someday"],
            "--since",
        ),
        (
            vec!["export", "--format", "ris", "--output", "no/such/dir/x.ris"],
            "--output",
        ),
        (vec!["stats", "--months", "0"], "--months"),
        (vec!["feeds", "import", "missing.opml"], "missing.opml"),
    ] {
        let out = env.run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn stats_counts_and_charts_within_100_columns() {
    let env = Env::new();
    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["stats", "--format", "json"])).unwrap();
    assert_eq!(v["total"], env.corpus.total);
    let count = |tag: &str| {
        v["by_tag"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tag"] == tag)
            .map_or(0, |t| t["count"].as_u64().unwrap() as usize)
    };
    assert_eq!(count("ptsd"), env.corpus.ptsd.len());
    assert_eq!(count("trd"), env.corpus.trd.len());
    let sources: Vec<&str> = v["by_source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert!(
        sources.contains(&"europepmc") && sources.contains(&"handmade"),
        "{sources:?}"
    );
    let months = v["by_month_condition"].as_array().unwrap();
    assert_eq!(months.len(), 24);
    let recent_ptsd: u64 = months
        .iter()
        .map(|m| m["counts"]["ptsd"].as_u64().unwrap())
        .sum();
    assert!(
        recent_ptsd >= 2,
        "the hand-made PTSD papers are recent: {v}"
    );

    let table = env.ok(&["stats"]);
    for line in table.lines() {
        assert!(
            unicode_width::UnicodeWidthStr::width(line) <= 100,
            "too wide: {line:?}"
        );
    }
    assert!(table.contains("Papers per month by condition"), "{table}");
    assert!(table.contains('█') || table.contains('▏'), "{table}");
    assert!(table.contains("ptsd"), "{table}");
    let filtered: serde_json::Value =
        serde_json::from_str(&env.ok(&["stats", "--format", "json", "--tag", "ptsd"])).unwrap();
    assert_eq!(filtered["total"], env.corpus.ptsd.len());
}

fn outlines(opml: &str) -> Vec<String> {
    let mut v: Vec<String> = opml
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("<outline"))
        .map(str::to_owned)
        .collect();
    v.sort();
    v
}

#[test]
fn opml_round_trips_and_import_only_appends() {
    let env = Env::new();
    std::fs::write(
        env.path("config.toml"),
        r#"include_builtin_feeds = false

[[feed]]
name = "mol-psychiatry"
url = "https://www.nature.com/mp.rss"
filter = "ketamine OR \"nmda receptor\""

[[feed]]
name = "pubmed"
kind = "pubmed"
url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi?db=pubmed&term=ketamine"
schedule = "0 15 */6 * * *"

[[feed]]
name = "arxiv"
url = "http://export.arxiv.org/api/query?search_query=all:ketamine"
kind = "arxiv"
"#,
    )
    .unwrap();
    let exported = env.ok(&["feeds", "export"]);
    assert!(exported.contains("<opml version=\"2.0\""), "{exported}");
    assert!(exported.contains("type=\"rss\""));
    assert!(exported.contains("&amp;term=ketamine"), "{exported}");
    std::fs::write(env.path("feeds.opml"), &exported).unwrap();
    let readers = env.ok(&["feeds", "export", "--readers-only"]);
    assert_eq!(outlines(&readers).len(), 1, "{readers}");

    // Into an empty config (no built-in feeds), the same feeds come back.
    let empty = env.path("empty.toml");
    let empty_s = empty.to_str().unwrap();
    std::fs::write(&empty, "include_builtin_feeds = false\n").unwrap();
    let report = env.ok(&["--config", empty_s, "feeds", "import", "feeds.opml"]);
    assert!(report.contains("3 of 3 feeds added"), "{report}");
    let text = std::fs::read_to_string(&empty).unwrap();
    assert!(
        text.starts_with("include_builtin_feeds = false\n"),
        "{text}"
    );
    assert!(text.contains("# Imported from feeds.opml"), "{text}");
    let again = env.ok(&["--config", empty_s, "feeds", "export"]);
    assert_eq!(outlines(&again), outlines(&exported));

    // Re-importing adds nothing and leaves the file byte for byte.
    let before = std::fs::read(&empty).unwrap();
    let report = env.ok(&["--config", empty_s, "feeds", "import", "feeds.opml"]);
    assert!(report.contains("0 of 3 feeds added"), "{report}");
    assert!(
        report.contains(
            "skipped https://www.nature.com/mp.rss (already configured as mol-psychiatry)"
        ),
        "{report}"
    );
    assert_eq!(std::fs::read(&empty).unwrap(), before);

    // A reader's OPML into a config that does not exist yet, in a folder that does not
    // exist yet: names from titles (unique beside the built-in feeds), kinds from URLs.
    std::fs::write(
        env.path("reader.opml"),
        r#"<?xml version="1.0"?>
<opml version="1.0"><head><title>newsboat</title></head><body>
<outline text="Psychiatry">
  <outline type="rss" text="Mol Psychiatry (copy)" xmlUrl="https://example.org/mp.rss"/>
  <outline type="rss" title="PubMed" text="x" xmlUrl="https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi?db=pubmed&amp;term=esketamine"/>
  <outline type="rss" title="Europe PMC" xmlUrl="https://www.ebi.ac.uk/europepmc/webservices/rest/search?query=ketamine"/>
  <outline type="rss" title="arXiv" xmlUrl="http://export.arxiv.org/api/query?search_query=all:esketamine"/>
  <outline type="rss" title="CT.gov" xmlUrl="https://clinicaltrials.gov/api/v2/studies?query.intr=esketamine"/>
  <outline type="rss" title="medRxiv" xmlUrl="https://api.biorxiv.org/details/medrxiv"/>
</outline></body></opml>"#,
    )
    .unwrap();
    let fresh = env.path("new/ketlit/config.toml");
    let fresh_s = fresh.to_str().unwrap();
    let report = env.ok(&["--config", fresh_s, "feeds", "import", "reader.opml"]);
    for line in [
        "added mol-psychiatry-copy (kind auto, guessed from the URL)",
        "added pubmed-2 (kind pubmed, guessed from the URL)",
        "added europe-pmc (kind europepmc, guessed from the URL)",
        "added arxiv (kind arxiv, guessed from the URL)",
        "added ct-gov (kind ctgov, guessed from the URL)",
        "added medrxiv (kind biorxiv, guessed from the URL)",
        "6 of 6 feeds added",
    ] {
        assert!(report.contains(line), "{line:?} not in:\n{report}");
    }
    let before = std::fs::read_to_string(&fresh).unwrap();
    // What was written loads: `feeds export` reads it back.
    assert!(
        env.ok(&["--config", fresh_s, "feeds", "export"])
            .contains("example.org/mp.rss")
    );

    // --kind overrides the guess; existing text is kept.
    std::fs::write(
        env.path("one.opml"),
        r#"<opml version="2.0"><body><outline text="Odd" xmlUrl="https://example.org/odd"/></body></opml>"#,
    )
    .unwrap();
    let report = env.ok(&[
        "--config", fresh_s, "feeds", "import", "one.opml", "--kind", "atom",
    ]);
    assert!(
        report.contains("added odd (kind atom, from --kind)"),
        "{report}"
    );
    let after = std::fs::read_to_string(&fresh).unwrap();
    assert!(after.starts_with(&before), "import must only append");

    for (file, body) in [
        ("bad.opml", "<opml><body><outline"),
        ("html.opml", "<html/>"),
    ] {
        std::fs::write(env.path(file), body).unwrap();
        let out = env.run(&["--config", fresh_s, "feeds", "import", file]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains(file));
    }
    let out = env.run(&[
        "--config", fresh_s, "feeds", "import", "one.opml", "--kind", "gopher",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&fresh).unwrap(), after);
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = env.ok(&["completions", shell]);
        for sub in ["export", "serve", "stats", "feeds"] {
            assert!(out.contains(sub), "{shell} completions lack {sub}");
        }
        assert!(
            out.contains("csl-json"),
            "{shell}: export formats are completed"
        );
    }
    let man = env.ok(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH ketlit"),
        "{}",
        &man[..200.min(man.len())]
    );
    for sub in ["export", "serve", "stats", "completions"] {
        assert!(man.contains(sub), "man page lacks {sub}");
    }
    let out = env.run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(1));
}

/// Links a database written before ingest kept only http(s) can hold, each with a
/// marker that must never reach an export.
const SCRIPT_LINKS: &[&str] = &[
    "javascript:alert('x1')",
    " JaVa\tScRiPt:alert('x2')",
    "data:text/html,<script>alert('x3')</script>",
    "vbscript:msgbox('x4')",
];

/// Gives the newest works `SCRIPT_LINKS` as their links, straight in SQL; returns
/// (id, doi) of each.
fn store_script_links(db: &Path) -> Vec<(i64, Option<String>)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let works: Vec<(i64, Option<String>)> = conn
        .prepare("SELECT id, doi FROM entries ORDER BY id DESC LIMIT 4")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for ((id, _), link) in works.iter().zip(SCRIPT_LINKS) {
        conn.execute("UPDATE entries SET link = ?1 WHERE id = ?2", (link, id))
            .unwrap();
    }
    works
}

#[test]
fn script_links_in_old_databases_never_reach_exports() {
    let env = Env::new();
    let works = store_script_links(&env.path("ketlit.db"));
    for format in ["ris", "bibtex", "csl-json", "csv", "jsonl"] {
        let out = env.ok(&["export", "--format", format]);
        for marker in ["alert(", "msgbox(", "javascript", "vbscript", "data:text"] {
            assert!(
                !out.to_ascii_lowercase().contains(marker),
                "{format} carries {marker:?}"
            );
        }
    }
    // A work with a DOI is still linked, through its DOI.
    let records = jsonl(&env, &[]);
    for (id, doi) in works {
        let r = records.iter().find(|r| r["id"] == id).unwrap();
        let want = doi.map(|d| format!("https://doi.org/{d}"));
        assert_eq!(r["url"].as_str(), want.as_deref(), "{r}");
    }
}

#[test]
fn csv_cells_cannot_start_a_formula() {
    let env = Env::new();
    let conn = rusqlite::Connection::open(env.path("ketlit.db")).unwrap();
    let id: i64 = conn
        .query_row("SELECT MAX(id) FROM entries", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        "UPDATE entries SET title = '=HYPERLINK(\"http://evil.example/\",\"open\")',
                journal = '@SUM(1+1)*cmd|'' /C calc''!A0', abstract = '+1+2',
                authors = '-2+3' || char(10) || 'Smith J' WHERE id = ?1",
        [id],
    )
    .unwrap();
    let text = env.ok(&["export", "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let mut seen = false;
    for row in rdr.records().map(Result::unwrap) {
        for (name, cell) in headers.iter().zip(row.iter()) {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']),
                "{name} = {cell:?}"
            );
        }
        if row[0] == id.to_string() {
            seen = true;
            assert_eq!(&row[3], "'=HYPERLINK(\"http://evil.example/\",\"open\")");
            assert_eq!(&row[5], "'@SUM(1+1)*cmd|' /C calc'!A0");
            assert_eq!(&row[13], "'+1+2");
            assert!(row[4].starts_with("'-2+3"), "{:?}", &row[4]);
        }
    }
    assert!(seen);
}
