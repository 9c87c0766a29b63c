//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) and the inputs that once
//! crashed a fuzz target (`tests/fixtures/fuzz-crashes/<target>/`) through the same entry
//! points the cargo-fuzz targets call, so stable CI keeps every path the fuzzers found.

use std::path::{Path, PathBuf};

use ketlit::fuzzing::TARGETS;

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = read
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path()
        })
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, run: fn(&[u8]), files: &[PathBuf]) {
    for path in files {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target}: {} panics", path.display());
    }
}

#[test]
fn every_corpus_replays_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (target, run) in TARGETS {
        let files = files_in(&root.join(target));
        assert!(
            !files.is_empty(),
            "fuzz/corpus/{target} is empty or missing"
        );
        replay(target, run, &files);
    }
}

#[test]
fn every_fuzz_crash_replays_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz-crashes");
    for dir in std::fs::read_dir(&root).into_iter().flatten() {
        let dir = dir.unwrap_or_else(|e| panic!("{e}")).path();
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let run = TARGETS
            .iter()
            .find(|(t, _)| *t == name)
            .map(|(_, run)| *run)
            .unwrap_or_else(|| panic!("{}: not a fuzz target's name", dir.display()));
        replay(name, run, &files_in(&dir));
    }
}

#[test]
fn every_fuzz_target_has_a_source_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    for (target, _) in TARGETS {
        let src = std::fs::read_to_string(dir.join(format!("{target}.rs")))
            .unwrap_or_else(|e| panic!("fuzz/fuzz_targets/{target}.rs: {e}"));
        assert!(
            src.contains(&format!("ketlit::fuzzing::{target}(")),
            "fuzz/fuzz_targets/{target}.rs does not call ketlit::fuzzing::{target}"
        );
    }
}

/// A PubMed page over 64 KiB with `&` whose byte 65,536 falls inside a multi-byte
/// character panicked in the DTD-entity scan; it parses, every article kept.
#[test]
fn fuzz_crash_dtd_scan_splits_a_utf8_char_at_64_kib() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz-crashes/parse_document/dtd-scan-64kib-inside-utf8-char");
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Byte 0 is the fuzz target's kind selector (5: pubmed).
    let (kind, doc) = (data[0], &data[1..]);
    assert_eq!(
        ketlit::model::Kind::ALL[usize::from(kind)],
        ketlit::model::Kind::Pubmed
    );
    let feed = ketlit::parse::parse_document(doc, None, ketlit::model::Kind::Pubmed, "page")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(feed.entries.len(), 269);
}
