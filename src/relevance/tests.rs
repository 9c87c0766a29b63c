//! Unit tests for the filter language: parsing, errors, normalised printing and matching.

use super::*;
use crate::model::RawEntry;

fn p(src: &str) -> Expr {
    match Filter::parse(src) {
        Ok(f) => f.expr().clone(),
        Err(e) => panic!("{src:?} failed to parse: {e}"),
    }
}

fn err(src: &str) -> String {
    match Filter::parse(src) {
        Ok(f) => panic!("{src:?} parsed unexpectedly as {f}"),
        Err(e) => e.to_string(),
    }
}

fn norm(src: &str) -> String {
    p(src).to_string()
}

fn title(t: &str) -> FilterDoc {
    FilterDoc::from_entry(&RawEntry {
        title: Some(t.to_owned()),
        ..RawEntry::default()
    })
}

fn hit(filter: &str, doc: &FilterDoc) -> bool {
    p(filter).matches(doc)
}

// ---- tokenising ----

#[test]
fn tokenize_splits_on_non_alphanumerics_and_folds() {
    assert_eq!(
        tokenize("Treatment-resistant (2R,6R)-HNK; KÉTAMINE’s"),
        ["treatment", "resistant", "2r", "6r", "hnk", "ketamine", "s"]
    );
    assert_eq!(
        tokenize("Straße Æther Ørsted Łódź"),
        ["strasse", "aether", "orsted", "lodz"]
    );
    // Decomposed accent (e + U+0301) folds like the precomposed one and does not split.
    assert_eq!(tokenize("ke\u{301}tamine"), ["ketamine"]);
    // Non-Latin scripts are lowercased but otherwise kept.
    assert_eq!(tokenize("ΚΕΤΑΜΙΝΗ 氯胺酮"), ["κεταμινη", "氯胺酮"]);
    assert_eq!(tokenize("İstanbul"), ["istanbul"]);
    assert!(tokenize(" -- , ").is_empty());
}

// ---- parsing, precedence, normalised form ----

#[test]
fn precedence_not_over_and_over_or() {
    assert_eq!(p("a OR b AND c"), p("a OR (b AND c)"));
    assert_ne!(p("a OR b AND c"), p("(a OR b) AND c"));
    assert_eq!(p("NOT a AND b"), p("(NOT a) AND b"));
    assert_eq!(p("NOT a OR b"), p("(NOT a) OR b"));
    assert_eq!(p("a b OR c d"), p("(a AND b) OR (c AND d)"));
    assert_eq!(norm("a OR b AND c"), "a OR b AND c");
    assert_eq!(norm("(a OR b) AND c"), "(a OR b) AND c");
    assert_eq!(norm("NOT (a OR b) c"), "NOT (a OR b) AND c");
}

#[test]
fn implicit_and_and_flattening() {
    assert_eq!(p("a b c"), p("a AND b AND c"));
    assert_eq!(p("a (b c)"), p("a AND b AND c"));
    assert_eq!(p("(a OR b) OR (c OR d)"), p("a OR b OR c OR d"));
    match p("a b c") {
        Expr::And(v) => assert_eq!(v.len(), 3),
        e => panic!("{e:?}"),
    }
    assert_eq!(norm("a b (c)"), "a AND b AND c");
}

#[test]
fn not_forms() {
    assert_eq!(p("a -b"), p("a AND NOT b"));
    assert_eq!(p("-\"case report\""), p("NOT \"case report\""));
    assert_eq!(p("-(a OR b)"), p("NOT (a OR b)"));
    assert_eq!(p("-title:erratum"), p("NOT title:erratum"));
    assert_eq!(
        p("NOT NOT a"),
        Expr::Not(Box::new(Expr::Not(Box::new(p("a")))))
    );
    // A hyphen inside a word is not NOT.
    assert_eq!(p("treatment-resistant"), p("\"treatment resistant\""));
    // Lower-case keywords are words.
    assert_eq!(norm("a and not b"), "a AND and AND not AND b");
    assert_eq!(norm("\"AND\" OR \"or\""), "and OR or");
}

#[test]
fn field_scopes() {
    assert_eq!(
        p("title:ketamine"),
        Expr::Term(Term {
            field: Some(Field::Title),
            words: vec!["ketamine".into()],
            prefix: false,
        })
    );
    assert_eq!(p("summary:x"), p("abstract:x"));
    assert_eq!(p("TITLE:x"), p("title:x"));
    assert_eq!(p("title: x"), p("title:x"));
    assert_eq!(
        p("title:(ketamine OR esketamine)"),
        p("title:ketamine OR title:esketamine")
    );
    assert_eq!(
        norm(
            "title:(ketamine NOT review) mesh:\"Depressive Disorder\" author:zarate journal:lancet category:psych*"
        ),
        "title:ketamine AND NOT title:review AND mesh:\"depressive disorder\" AND author:zarate \
         AND journal:lancet AND category:psych*"
    );
    assert_eq!(norm("title:(a b) OR c"), "title:a AND title:b OR c");
    // Not letters before the colon: an ordinary word.
    assert_eq!(p("2:1"), p("\"2 1\""));
}

#[test]
fn phrases_and_prefixes() {
    assert_eq!(
        p("keta*"),
        Expr::Term(Term {
            field: None,
            words: vec!["keta".into()],
            prefix: true,
        })
    );
    assert_eq!(norm("\"Nasal SPR*\""), "\"nasal spr*\"");
    assert_eq!(norm("treatment-resist*"), "\"treatment resist*\"");
    assert_eq!(norm("2R,6R-HNK"), "\"2r 6r hnk\"");
    assert_eq!(norm("\"single\""), "single");
    assert_eq!(norm("KétAmine"), "ketamine");
}

#[test]
fn display_round_trips() {
    for src in [
        DEFAULT_FILTER,
        "ketamine OR esketamine OR \"nasal spray\" AND NOT title:erratum",
        "(ketamine OR esketamine) -title:(erratum OR corrigendum OR retraction)",
        "a OR (b OR c) AND (d OR NOT (e f)) OR -g*",
        "NOT NOT (a OR b)",
        "mesh:\"Depressive Disorder, Treatment-Resistant\" OR \"nasal spr*\"",
        "((((a))))",
    ] {
        let f = Filter::parse(src).unwrap();
        assert_eq!(f.source(), src);
        let printed = f.to_string();
        assert_eq!(p(&printed), *f.expr(), "{src:?} printed as {printed:?}");
        assert_eq!(norm(&printed), printed, "normal form is a fixed point");
    }
}

// ---- errors ----

#[test]
fn errors_have_exact_columns() {
    let cases = [
        ("", "column 1: empty filter"),
        ("   ", "column 1: empty filter"),
        ("ketamine AND", "column 13: expected a term after AND"),
        ("ketamine AND ", "column 14: expected a term after AND"),
        ("a OR OR b", "column 6: expected a term after OR"),
        ("a OR )", "column 6: expected a term after OR"),
        ("NOT", "column 4: expected a term after NOT"),
        ("a -AND b", "column 4: expected a term after \"-\""),
        ("( AND a)", "column 3: expected a term after \"(\""),
        ("AND a", "column 1: expected a term before AND"),
        ("a (OR b)", "column 4: expected a term after \"(\""),
        ("OR", "column 1: expected a term before OR"),
        ("a \"nasal spray", "column 3: unclosed quote"),
        ("a \"b\" \"c", "column 7: unclosed quote"),
        (
            "keta OR titel:x",
            "column 9: unknown field \"titel\" (expected title, abstract, mesh, author, journal, category)",
        ),
        (") a", "column 1: unbalanced \")\""),
        ("(a) b)", "column 6: unbalanced \")\""),
        ("(a OR b", "column 1: unclosed \"(\""),
        ("a (b (c)", "column 3: unclosed \"(\""),
        ("a ()", "column 4: empty parentheses"),
        (
            "title:",
            "column 7: expected a term, phrase or \"(\" after title:",
        ),
        (
            "title:NOT x",
            "column 7: expected a term, phrase or \"(\" after title:",
        ),
        (
            "title:-x",
            "column 7: expected a term, phrase or \"(\" after title:",
        ),
        (
            "title:(a abstract:x)",
            "column 10: field scope \"abstract:\" inside \"title:(…)\"",
        ),
        ("ke*ta", "column 3: \"*\" may only end a term"),
        ("a \"b* c\"", "column 5: \"*\" may only end a term"),
        ("keta**", "column 5: \"*\" may only end a term"),
        ("a \"\"", "column 3: empty phrase"),
        ("a \"--\"", "column 3: phrase has no letters or digits"),
        ("a \"-\n-\"", "column 3: phrase has no letters or digits"),
        ("a ,,", "column 3: term \",,\" has no letters or digits"),
        ("a -", "column 3: term \"-\" has no letters or digits"),
        ("a *", "column 3: term \"*\" has no letters or digits"),
        // Columns count characters, not bytes.
        (
            "\"é\" titel:x",
            "column 5: unknown field \"titel\" (expected title, abstract, mesh, author, journal, category)",
        ),
        ("kétamine AND", "column 13: expected a term after AND"),
    ];
    for (src, want) in cases {
        assert_eq!(err(src), want, "for {src:?}");
    }
}

#[test]
fn errors_are_reported_in_source_order() {
    // The parser error at column 1 wins over the lexer error further right.
    assert_eq!(err("AND \"abc"), "column 1: expected a term before AND");
}

#[test]
fn nesting_is_bounded() {
    let ok = format!("{}a{}", "(".repeat(64), ")".repeat(64));
    assert_eq!(p(&ok), p("a"));
    let deep = format!("{}a{}", "(".repeat(100), ")".repeat(100));
    assert_eq!(
        err(&deep),
        "column 65: filter nested too deeply (more than 64 levels)"
    );
    let nots = format!("{}a", "NOT ".repeat(1000));
    assert!(err(&nots).contains("nested too deeply"));
    let minuses = format!("{}a", "-".repeat(100_000));
    assert!(err(&minuses).contains("nested too deeply"));
}

#[test]
fn serde_uses_the_source_text() {
    let f: Filter = serde_json::from_str(r#""keta* -title:erratum""#).unwrap();
    assert_eq!(f.to_string(), "keta* AND NOT title:erratum");
    assert_eq!(
        serde_json::to_string(&f).unwrap(),
        r#""keta* -title:erratum""#
    );
    let e = serde_json::from_str::<Filter>(r#""a AND""#).unwrap_err();
    assert!(
        e.to_string()
            .contains("column 6: expected a term after AND"),
        "{e}"
    );
    assert_eq!(f, Filter::parse("keta* -title:erratum").unwrap());
    assert_ne!(f, Filter::parse("keta* NOT title:erratum").unwrap());
}

#[test]
fn error_accessors() {
    let e = Filter::parse("a OR").unwrap_err();
    assert_eq!(e.column, 5);
    assert_eq!(e.message, "expected a term after OR");
    assert_eq!("a OR".parse::<Filter>().unwrap_err(), e);
}

// ---- matching ----

#[test]
fn words_match_whole_tokens_case_insensitively() {
    let d = title("KETAMINE for Depression");
    assert!(hit("ketamine", &d));
    assert!(hit("Ketamine", &d));
    assert!(hit("depression", &d));
    assert!(!hit("ketamin", &d));
    assert!(!hit("ketamines", &d));
    assert!(!hit("esketamine", &d));
    assert!(!hit("press", &d));
}

#[test]
fn prefixes() {
    let d = title("Ketamine and esketamine");
    assert!(hit("keta*", &d));
    assert!(hit("ketamine*", &d));
    assert!(hit("esk*", &d));
    assert!(!hit("tamine*", &d));
    assert!(!hit("ketaminer*", &d));
    assert!(hit("\"ketamine and esk*\"", &d));
    assert!(!hit("\"ketamine esk*\"", &d));
}

#[test]
fn phrases_across_hyphens_and_punctuation() {
    let d = title("Efficacy in treatment-resistant depression: a nasal-spray RCT.");
    assert!(hit("\"treatment resistant\"", &d));
    assert!(hit("treatment-resistant", &d));
    assert!(hit("\"Treatment-Resistant Depression\"", &d));
    assert!(hit("\"nasal spray\"", &d));
    assert!(hit("\"depression a nasal\"", &d));
    assert!(!hit("\"resistant treatment\"", &d));
    assert!(!hit("\"treatment depression\"", &d));
    let d = title("Treatment resistant depression");
    assert!(hit("treatment-resistant", &d));
}

#[test]
fn diacritics_fold_both_ways() {
    let d = title("Kétamine et dépression : revue de la littérature");
    assert!(hit("ketamine", &d));
    assert!(hit("kétamine", &d));
    assert!(hit("\"ketamine et depression\"", &d));
    let d = title("Ketamine in Müller cells");
    assert!(hit("müller", &d));
    assert!(hit("muller", &d));
    // ü folds to u, not ue.
    assert!(!hit("mueller", &d));
}

#[test]
fn phrases_do_not_cross_field_values() {
    let d = FilterDoc::from_entry(&RawEntry {
        title: Some("Rapid antidepressant".into()),
        summary: Some("effects in mice".into()),
        mesh: vec!["Ketamine".into(), "Depression".into()],
        ..RawEntry::default()
    });
    assert!(hit("mesh:ketamine mesh:depression", &d));
    assert!(!hit("\"ketamine depression\"", &d));
    assert!(!hit("\"antidepressant effects\"", &d));
    assert_eq!(d.tokens(Field::Mesh), ["ketamine", "depression"]);
}

#[test]
fn field_scopes_select_fields() {
    let d = FilterDoc::from_entry(&RawEntry {
        title: Some("Erratum: Esketamine trial".into()),
        summary: Some("Ketamine infusion reduced suicidal ideation.".into()),
        mesh: vec!["Depressive Disorder, Major".into()],
        categories: vec!["Psychiatry".into()],
        authors: vec!["Zarate, Carlos A".into(), "Krystal JH".into()],
        journal: Some("Depression and Anxiety".into()),
        ..RawEntry::default()
    });
    assert!(hit("title:esketamine", &d));
    assert!(!hit("title:ketamine", &d));
    assert!(hit("abstract:ketamine", &d));
    assert!(hit("summary:\"suicidal ideation\"", &d));
    assert!(hit("mesh:\"depressive disorder\"", &d));
    assert!(hit("category:psych*", &d));
    assert!(hit("author:zarate author:krystal", &d));
    assert!(hit("journal:anxiety", &d));
    assert!(!hit("title:(infusion OR anxiety)", &d));
    // Unscoped searches title, abstract, mesh and categories, but not authors or journal.
    assert!(hit("infusion", &d));
    assert!(hit("major", &d));
    assert!(hit("psychiatry", &d));
    assert!(!hit("zarate", &d));
    assert!(!hit("anxiety", &d));
    // The brief's example: NOT title:erratum binds only to "nasal spray".
    let f = "ketamine OR esketamine OR \"nasal spray\" AND NOT title:erratum";
    assert!(hit(f, &d));
    assert!(!hit("(ketamine OR esketamine) -title:erratum", &d));
}

#[test]
fn pure_negation_and_empty_doc() {
    let empty = FilterDoc::new();
    assert!(hit("NOT ketamine", &empty));
    assert!(!hit("ketamine", &empty));
    assert!(
        FilterDoc::from_entry(&RawEntry::default())
            .tokens(Field::Title)
            .is_empty()
    );
}

#[test]
fn default_filter_on_realistic_entries() {
    let f = Filter::parse(DEFAULT_FILTER).unwrap();
    let cases: &[(&str, Option<&str>, &[&str], bool)] = &[
        (
            "Esketamine nasal spray in treatment-resistant depression",
            None,
            &[],
            true,
        ),
        (
            "Methoxetamine toxicity: a case series from a poison centre",
            None,
            &[],
            false,
        ),
        (
            "Ketamine-assisted psychotherapy for alcohol use disorder",
            None,
            &[],
            true,
        ),
        (
            "Esmethadone (REL-1017) as adjunctive treatment in major depressive disorder",
            Some("An NMDA receptor channel blocker with rapid antidepressant effects."),
            &[],
            false,
        ),
        (
            "Real-world effectiveness of SPRAVATO® in older adults",
            None,
            &[],
            true,
        ),
        (
            "(2R,6R)-HNK produces antidepressant effects independent of NMDA receptor inhibition",
            None,
            &[],
            true,
        ),
        (
            "Rapid antidepressant effects in a chronic stress model",
            Some("A single subanesthetic dose of (R,S)-ketamine reversed anhedonia."),
            &[],
            true,
        ),
        (
            "Induction agents in paediatric sedation",
            None,
            &["Ketamine", "Midazolam"],
            true,
        ),
        (
            "Psilocybin versus escitalopram for depression",
            Some("A phase 2 trial."),
            &[],
            false,
        ),
        (
            "S-ketamine for postoperative delirium in elderly patients",
            None,
            &[],
            true,
        ),
        (
            "Arketamine in a mouse model of social defeat stress",
            None,
            &[],
            true,
        ),
        (
            "KETALAR (ketamine hydrochloride) injection: label update",
            None,
            &[],
            true,
        ),
        ("Norketamine pharmacokinetics in children", None, &[], true),
        (
            "6-Hydroxynorketamine and synaptic potentiation",
            None,
            &[],
            true,
        ),
        (
            "Nitrous oxide for treatment-resistant depression",
            None,
            &[],
            false,
        ),
        (
            "Kétamine et dépression : revue systématique",
            None,
            &[],
            true,
        ),
        (
            "Phencyclidine and memantine: NMDA antagonists compared",
            None,
            &[],
            false,
        ),
        ("Zuranolone in postpartum depression", None, &[], false),
        ("Ketanest S in emergency medicine", None, &[], true),
        // No stemming: a plural alone does not match.
        (
            "Novel ketamines from arylcyclohexylamine chemistry",
            None,
            &[],
            false,
        ),
    ];
    for &(t, abs, mesh, want) in cases {
        let entry = RawEntry {
            title: Some(t.to_owned()),
            summary: abs.map(str::to_owned),
            mesh: mesh.iter().map(|m| (*m).to_owned()).collect(),
            ..RawEntry::default()
        };
        assert_eq!(f.matches_entry(&entry), want, "{t}");
    }
}

/// Matching uses packed 8-byte token heads and chunked scans; compare it against a naive
/// sliding window over `tokenize` on pseudo-random documents whose words share long
/// prefixes and straddle the 8-byte and 8-token boundaries.
#[test]
fn matching_agrees_with_naive_reference() {
    const VOCAB: &[&str] = &[
        "a",
        "ab",
        "abcdefg",
        "abcdefgh",
        "abcdefghi",
        "abcdefgh1",
        "abcdefghij",
        "ketamine",
        "ketamines",
        "keta",
        "k",
        "é",
        "ée",
        "κετα",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    for _ in 0..400 {
        let len = next() % 30;
        let text: Vec<&str> = (0..len).map(|_| VOCAB[next() % VOCAB.len()]).collect();
        let text = text.join(" ");
        let doc = title(&text);
        let toks = tokenize(&text);
        for _ in 0..10 {
            let n = 1 + next() % 3;
            let words: Vec<String> = (0..n)
                .map(|_| tokenize(VOCAB[next() % VOCAB.len()]).remove(0))
                .collect();
            let prefix = next() % 2 == 0;
            let want = toks.windows(n).any(|w| {
                w.iter().zip(&words).enumerate().all(|(k, (t, q))| {
                    if prefix && k == n - 1 {
                        t.starts_with(q.as_str())
                    } else {
                        t == q
                    }
                })
            });
            let term = Term {
                field: None,
                words: words.clone(),
                prefix,
            };
            assert_eq!(term.matches(&doc), want, "{term} in {text:?}");
        }
    }
}

// ---- robustness ----

/// Deterministic pseudo-random strings over the filter's meta-characters: parsing must
/// never panic, errors must point inside (or just past) the input, and every accepted
/// filter must print to a form that parses back to the same AST.
#[test]
fn parse_never_panics_on_odd_input() {
    const PIECES: &[&str] = &[
        "(", ")", "\"", "*", ":", "-", " ", " ", "AND", "OR", "NOT", "a", "b", "title", "titel",
        "é", ",", "\t", "\n",
    ];
    let doc = FilterDoc::from_entry(&RawEntry {
        title: Some("a b title".into()),
        summary: Some("b-a é".into()),
        ..RawEntry::default()
    });
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        // Knuth's MMIX LCG; the high bits are the well-mixed ones.
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..5000 {
        let len = next() % 14;
        let src: String = (0..len).map(|_| PIECES[next() % PIECES.len()]).collect();
        match Filter::parse(&src) {
            Ok(f) => {
                accepted += 1;
                let printed = f.to_string();
                let again = Filter::parse(&printed)
                    .unwrap_or_else(|e| panic!("{src:?} printed as {printed:?}: {e}"));
                assert_eq!(again.expr(), f.expr(), "{src:?} printed as {printed:?}");
                let _ = f.matches(&doc);
            }
            Err(e) => {
                rejected += 1;
                assert!(
                    (1..=src.chars().count() + 1).contains(&e.column),
                    "{src:?}: {e}"
                );
                assert!(!e.to_string().contains('\n'));
            }
        }
    }
    // Guard against a generator that only ever produces one outcome.
    assert!(accepted > 100 && rejected > 100, "{accepted} / {rejected}");
}
