//! Unit tests of the evaluator, the tokeniser and rule loading.

use super::*;

fn input<'a>(title: &'a str, abstract_: &'a str) -> TagInput<'a> {
    TagInput {
        title,
        abstract_,
        mesh: &[],
        keywords: &[],
        publication_types: &[],
        conditions: &[],
    }
}

fn tags(c: &Classification) -> Vec<&str> {
    c.tags.iter().map(|t| &*t.tag).collect()
}

#[test]
fn builtin_rules_load() {
    let t = Tagger::builtin();
    assert!(t.rules_fingerprint().starts_with('v'));
}

#[test]
fn trd_implies_depression_with_evidence() {
    let t = Tagger::builtin();
    let c = t.classify(&input(
        "Esketamine in treatment-resistant depression",
        "Adults were randomised to esketamine or placebo.",
    ));
    assert!(c.relevant);
    assert_eq!(c.condition_tags(), ["trd", "depression"]);
    let trd = &c.tags[0];
    assert_eq!(trd.evidence.field, "title");
    assert_eq!(trd.evidence.phrase, "treatment-resistant depression");
    let [s, e] = trd.evidence.span;
    assert_eq!(
        &"Esketamine in treatment-resistant depression"[s..e],
        trd.evidence.phrase
    );
    assert!(tags(&c).contains(&"drug:esketamine"));
    assert!(tags(&c).contains(&"type:rct"));
}

#[test]
fn order_is_conditions_drugs_types() {
    let t = Tagger::builtin();
    let c = t.classify(&input(
        "Ketamine for PTSD: a randomized controlled trial",
        "Veterans with PTSD received ketamine.",
    ));
    assert_eq!(tags(&c), ["ptsd", "drug:ketamine", "type:rct"]);
}

#[test]
fn exclusion_criteria_do_not_tag() {
    let t = Tagger::builtin();
    let c = t.classify(&input(
        "Ketamine in major depression",
        "Patients with bipolar disorder or PTSD were excluded. Exclusion criteria included obsessive-compulsive disorder.",
    ));
    assert_eq!(c.condition_tags(), ["depression"]);
}

#[test]
fn animal_work_is_relevant_without_conditions() {
    let t = Tagger::builtin();
    let c = t.classify(&input(
        "Ketamine reverses depression-like behaviour in mice",
        "Mice exposed to chronic social defeat stress received ketamine; PTSD-like freezing fell.",
    ));
    assert!(c.relevant);
    assert!(c.condition_tags().is_empty());
}

#[test]
fn irrelevant_entry_has_no_condition_tags() {
    let t = Tagger::builtin();
    let c = t.classify(&input(
        "Psilocybin for treatment-resistant depression",
        "Rapid-acting agents (e.g., ketamine, psilocybin) are of interest. Patients received psilocybin.",
    ));
    assert!(!c.relevant);
    assert!(c.relevance.is_none());
    assert!(c.condition_tags().is_empty());
}

#[test]
fn abbreviation_defined_in_text_takes_that_sense() {
    let t = Tagger::builtin();
    let c = t.classify(&input(
        "Ketamine analgesia in knee surgery",
        "Osteochondritis dissecans (OCD) was fixed arthroscopically. OCD lesions healed. Patients were randomised to ketamine or saline.",
    ));
    assert!(c.condition_tags().is_empty(), "{:?}", c.tags);
    let c = t.classify(&input(
        "Ketamine in obsessive-compulsive disorder",
        "Adults with OCD received ketamine.",
    ));
    assert_eq!(c.condition_tags(), ["ocd"]);
}

#[test]
fn mesh_and_registry_conditions() {
    let t = Tagger::builtin();
    let mesh = vec![
        "Humans".to_string(),
        "*Ketamine/therapeutic use".to_string(),
        "Stress Disorders, Post-Traumatic".to_string(),
    ];
    let c = t.classify(&TagInput {
        mesh: &mesh,
        ..input("An infusion study", "Twenty adults were treated.")
    });
    assert!(c.relevant);
    assert_eq!(c.condition_tags(), ["ptsd"]);
    let conds = vec!["Depressive Disorder, Treatment-Resistant".to_string()];
    let c = t.classify(&TagInput {
        conditions: &conds,
        ..input("Esketamine study", "")
    });
    assert_eq!(c.condition_tags(), ["trd", "depression"]);
    assert_eq!(c.tags[0].evidence.field, "conditions");
}

#[test]
fn publication_types_and_review_veto() {
    let t = Tagger::builtin();
    let pt = vec!["Meta-Analysis".to_string()];
    let c = t.classify(&TagInput {
        publication_types: &pt,
        ..input(
            "Ketamine for depression",
            "We pooled randomized controlled trials; patients were randomized to ketamine.",
        )
    });
    assert!(tags(&c).contains(&"type:meta-analysis"));
    assert!(!tags(&c).contains(&"type:rct"));
}

#[test]
fn html_remnants_and_accents() {
    let t = Tagger::builtin();
    let title = "K\u{e9}tamine in &lt;i&gt;post-traumatic stress disorder&lt;/i&gt;<sup>1</sup>";
    let c = t.classify(&input(title, ""));
    assert!(c.relevant);
    assert_eq!(c.condition_tags(), ["ptsd"]);
    let ev = &c.tags[0].evidence;
    assert_eq!(ev.phrase, "post-traumatic stress disorder");
    assert_eq!(&title[ev.span[0]..ev.span[1]], ev.phrase);
}

#[test]
fn structured_background_is_weak() {
    let t = Tagger::builtin();
    let c = t.classify(&input(
        "Ketamine for pain after surgery",
        "BACKGROUND: Ketamine is also studied in PTSD. METHODS: Patients were randomised to ketamine or saline. RESULTS: Pain fell.",
    ));
    assert!(c.relevant);
    assert!(c.condition_tags().is_empty(), "{:?}", c.tags);
}

#[test]
fn bad_rule_file_gives_one_line_error_with_line_and_key() {
    let text = "[[phrase]]\nid = \"x\"\ntags = [\"ptsd\"]\nphrases = [\"a\"]\nweigth = 2\n";
    let e = Tagger::from_toml(text, "my.toml").unwrap_err();
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "{msg}");
    assert!(msg.starts_with("my.toml: line 5: key `weigth`:"), "{msg}");

    let text = "[[context]]\nid = \"c\"\nphrases = [\"no\"]\neffect = \"supress\"\n";
    let e = Tagger::from_toml(text, "u.toml").unwrap_err();
    assert_eq!(e.line, 4);
    assert_eq!(e.key, "effect");

    let text = "[[phrase]]\nid = \"p\"\ntags = [\"ptsd\"]\nphrases = [\"{a|b\"]\n";
    let e = Tagger::from_toml(text, "u.toml").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (4, "phrases"));

    let text = "[[phrase]]\nid = \"p\"\ntags = [\"ptsd\"]\nphrases = \"oops\"\n";
    let e = Tagger::from_toml(text, "u.toml").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (4, "phrases"), "{e}");

    let e = Tagger::from_toml("[[phrase]\n", "u.toml").unwrap_err();
    assert_eq!(e.line, 1);
}

#[test]
fn override_extend_and_disable_by_id() {
    let base = Tagger::builtin();
    let fp0 = base.rules_fingerprint();
    let entry = input(
        "Ketamine in fibromyalgia",
        "Patients with fibromyalgia received ketamine.",
    );
    assert!(base.classify(&entry).condition_tags().is_empty());

    // Extend: a new condition tag.
    let t = Tagger::builtin()
        .with_overrides(
            "[[phrase]]\nid = \"user.fibro\"\ntags = [\"fibromyalgia\"]\nphrases = [\"fibromyalgia\"]\n",
            "user.toml",
        )
        .unwrap();
    assert_ne!(t.rules_fingerprint(), fp0);
    assert_eq!(t.classify(&entry).condition_tags(), ["fibromyalgia"]);

    // Disable: the shipped PTSD lexicon switched off.
    let ptsd = input("Ketamine for PTSD", "Veterans with PTSD received ketamine.");
    assert_eq!(base.classify(&ptsd).condition_tags(), ["ptsd"]);
    let t = Tagger::builtin()
        .with_overrides(
            "[[phrase]]\nid = \"ptsd.core\"\ndisabled = true\n",
            "user.toml",
        )
        .unwrap();
    assert!(t.classify(&ptsd).condition_tags().is_empty());

    // Override: same id, new content.
    let t = Tagger::builtin()
        .with_overrides(
            "[[phrase]]\nid = \"ptsd.core\"\ntags = [\"anxiety\"]\nphrases = [\"ptsd\"]\n",
            "user.toml",
        )
        .unwrap();
    assert_eq!(t.classify(&ptsd).condition_tags(), ["anxiety"]);

    // Errors in the user file name the user file.
    let e = Tagger::builtin()
        .with_overrides("[settings]\nthreshold = \"x\"\n", "user.toml")
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("user.toml: line 2: key `threshold`"),
        "{e}"
    );
}

#[test]
fn fingerprint_is_stable() {
    assert_eq!(
        Tagger::builtin().rules_fingerprint(),
        Tagger::builtin().rules_fingerprint()
    );
}

#[test]
fn never_panics_on_odd_input() {
    let t = Tagger::builtin();
    let odd = [
        "",
        " ",
        "(",
        ")",
        "&",
        "&lt;",
        "&lt;i",
        "<",
        "<i",
        "&#;",
        "&#x2265;2 antidepressants",
        "e\u{301}\u{301}",
        "\u{301}ketamine",
        "İSTANBUL KETAMİNE",
        "ﬁ ketamine ß ǅ",
        "ketamine (",
        "treatment-resistant depression (TRD",
        "(TRD) (OCD) (SAD)",
        "...:::;;;",
        "OBJECTIVE:",
        "RESULTS: METHODS: BACKGROUND:",
        "\u{0}\u{1}\u{7f}",
        "🙂 ketamine 🙂 PTSD 🙂",
        "ketamine\n\n\nPTSD",
        "a-b-c-d-e-f-g-h",
        "αβγ ketamine ≥≤ – — “quotes”",
    ];
    let long = "ketamine depression ".repeat(5000);
    let mesh = vec![
        "*".to_string(),
        "/".to_string(),
        String::new(),
        "Ketamine/".to_string(),
    ];
    for (i, a) in odd.iter().copied().chain([long.as_str()]).enumerate() {
        for b in odd.iter().take(if i == odd.len() { 3 } else { odd.len() }) {
            let c = t.classify(&TagInput {
                mesh: &mesh,
                keywords: &mesh,
                publication_types: &mesh,
                conditions: &mesh,
                ..input(a, b)
            });
            for tag in &c.tags {
                let [s, e] = tag.evidence.span;
                assert!(s <= e);
            }
        }
    }
    // Every char boundary-splitting prefix of a tricky string.
    let tricky = "Kétamine ≥2 (OCD) &lt;i&gt;PTSD&lt;/i&gt; İ \u{301}";
    for (i, _) in tricky.char_indices() {
        let _ = t.classify(&input(&tricky[..i], &tricky[i..]));
    }
}

#[test]
fn phrase_expansion() {
    let v = rules::expand("a {b|c} d{e|}").unwrap();
    assert_eq!(v, ["a b de", "a b d", "a c de", "a c d"]);
    assert!(rules::expand("a {b").is_err());
    assert!(rules::expand("a }b").is_err());
}

#[test]
fn tokeniser_sentences_and_sections() {
    let t = Tagger::builtin();
    let mut ft = text::FieldText::default();
    text::tokenize(
        "BACKGROUND: One. Two e.g. three. METHODS: Four",
        &t.c.lex,
        &mut ft,
    );
    let sents: Vec<u32> = ft.toks.iter().map(|t| t.sent).collect();
    assert_eq!(sents, [0, 0, 1, 1, 1, 1, 2, 2]);
    assert!((ft.sents[0].weight - 0.2).abs() < 1e-6);
    assert!((ft.sents[2].weight - 1.0).abs() < 1e-6);
    assert_eq!(ft.toks[0].id, text::LABEL);
}
