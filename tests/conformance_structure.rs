//! Issue 20's structural conformance cases, written from the RSS 0.90-2.0, RSS 1.0 (and
//! its modules) and Atom 0.3/1.0 specifications: empty feeds, modules standing in for
//! core elements, Atom details, RSS details, and http(s)-only links.
//!
//! Each fixture in `tests/fixtures/conformance/structure/` has its expectations in
//! `expect.json`: JSON pointers into `ketlit parse`'s output (`/entries/0/link`), or a
//! pointer ending in `#` for an array's length; a missing field reads as `null`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ketlit::model::Kind;
use ketlit::parse::parse_document;
use serde_json::Value;

#[derive(serde::Deserialize)]
struct Case {
    class: String,
    checks: BTreeMap<String, Value>,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance/structure")
}

fn cases() -> BTreeMap<String, Case> {
    let text = std::fs::read_to_string(dir().join("expect.json")).expect("expect.json");
    serde_json::from_str(&text).expect("expect.json is valid")
}

/// The document parsed (as `ketlit parse` prints it) or its error.
fn parse(file: &str) -> Result<Value, String> {
    let bytes = std::fs::read(dir().join(file)).map_err(|e| e.to_string())?;
    let feed = parse_document(&bytes, None, Kind::Auto, file).map_err(|e| e.to_string())?;
    serde_json::to_value(&feed).map_err(|e| e.to_string())
}

/// The checks `case` fails, each as one line.
fn failures(file: &str, case: &Case) -> Vec<String> {
    let out = match parse(file) {
        Ok(v) => v,
        Err(e) => return vec![format!("{file}: does not parse: {e}")],
    };
    let mut failed = Vec::new();
    for (pointer, want) in &case.checks {
        let got = match pointer.strip_suffix('#') {
            Some(p) => out
                .pointer(p)
                .and_then(Value::as_array)
                .map(|a| Value::from(a.len())),
            None => out.pointer(pointer).cloned(),
        }
        .unwrap_or(Value::Null);
        if &got != want {
            failed.push(format!("{file}: {pointer}: want {want}, got {got}"));
        }
    }
    failed
}

/// The class number for each of this file's groups, in table order.
const CLASSES: [(&str, &str); 5] = [
    ("empty", "1. An empty feed is still a feed"),
    ("modules", "3. Modules standing in for core elements"),
    ("atom", "4. Atom details"),
    ("rss", "5. RSS details"),
    ("links", "Links are http(s) only"),
];

#[test]
fn every_case_meets_its_expectations() {
    let cases = cases();
    let mut all_failed = Vec::new();
    let mut table = String::from("| class | passing / total |\n|---|---|\n");
    for (class, title) in CLASSES {
        let in_class: Vec<_> = cases.iter().filter(|(_, c)| c.class == class).collect();
        assert!(!in_class.is_empty(), "no cases for {class}");
        let mut passing = 0;
        for (file, case) in &in_class {
            assert!(file.starts_with(&format!("{class}_")), "{file} in {class}");
            let failed = failures(file, case);
            passing += usize::from(failed.is_empty());
            all_failed.extend(failed);
        }
        table.push_str(&format!("| {title} | {passing} / {} |\n", in_class.len()));
    }
    let known: Vec<&str> = CLASSES.iter().map(|(c, _)| *c).collect();
    for (file, case) in &cases {
        assert!(
            known.contains(&case.class.as_str()),
            "{file}: unknown class"
        );
    }
    eprintln!("{table}");
    assert!(all_failed.is_empty(), "{}", all_failed.join("\n"));
}

#[test]
fn every_fixture_has_expectations() {
    let cases = cases();
    for entry in std::fs::read_dir(dir()).expect("fixture dir") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".xml") {
            assert!(
                cases.contains_key(name.as_ref()),
                "{name} has no expectations"
            );
        }
    }
}

#[test]
fn snapshots() {
    insta::with_settings!({
        snapshot_path => "snapshots/conformance_structure",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        for file in cases().keys() {
            let parsed = parse(file).unwrap_or_else(|e| panic!("{e}"));
            insta::assert_json_snapshot!(file.trim_end_matches(".xml"), parsed);
        }
    });
}

/// A few cases through the real binary: exit 0 and the same JSON on stdout.
#[test]
fn ketlit_parse_prints_them() {
    for file in [
        "empty_rss2_root_only.xml",
        "empty_rss1_root_selfclosed.xml",
        "empty_atom10_root_only.xml",
        "rss_rss1_prefixed_elements.xml",
        "atom_xml_base_feed.xml",
        "links_rss_javascript_link.xml",
    ] {
        let out = assert_cmd::Command::cargo_bin("ketlit")
            .expect("binary")
            .arg("parse")
            .arg(dir().join(file))
            .output()
            .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        // The binary names the document by its path; the library call by its file name.
        let want = parse(file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(printed, want, "{file}");
    }
}

/// No crash: every case cut short at many points, and with its bytes shuffled
/// about, either parses or fails with a one-line error naming the document.
#[test]
fn damaged_cases_never_panic() {
    for file in cases().keys() {
        let doc = std::fs::read(dir().join(file)).expect("fixture");
        let damaged = (0..doc.len())
            .step_by(3)
            .map(|cut| doc[..cut].to_vec())
            .chain((1..doc.len()).step_by(11).map(|i| {
                let mut d = doc.clone();
                d.swap(i - 1, i);
                d
            }));
        for d in damaged {
            if let Err(e) = parse_document(&d, None, Kind::Auto, "cut") {
                let msg = e.to_string();
                assert!(
                    msg.starts_with("cut: ") && !msg.contains('\n'),
                    "{file}: {msg}"
                );
            }
        }
    }
}
