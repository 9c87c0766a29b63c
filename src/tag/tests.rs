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

// Error classes seen on real abstracts (issue 24), each pinned with sentences of our own.

fn types(c: &Classification) -> Vec<&str> {
    c.tags
        .iter()
        .filter_map(|t| t.tag.strip_prefix("type:"))
        .collect()
}

#[test]
fn an_opening_motivation_sentence_does_not_set_conditions() {
    let t = Tagger::builtin();
    let c = t.classify(&input(
        "Ketamine and working memory in healthy volunteers",
        "Ketamine acts within hours in treatment-resistant depression, PTSD and obsessive-compulsive disorder. \
         Twenty-four healthy volunteers received a single subanaesthetic infusion. \
         Working memory was tested before and after the infusion.",
    ));
    assert!(c.relevant);
    assert!(c.condition_tags().is_empty(), "{:?}", c.tags);
    // An opening sentence that states the study's aim names its population.
    let c = t.classify(&input(
        "Infusions for veterans",
        "We enrolled 30 veterans with PTSD to receive six ketamine infusions. \
         Symptoms fell within a week. Dissociation was brief.",
    ));
    assert_eq!(c.condition_tags(), ["ptsd"]);
}

#[test]
fn an_unlisted_capitalised_label_ends_the_background_section() {
    let t = Tagger::builtin();
    let c = t.classify(&input(
        "New drugs for alcohol use disorder",
        "INTRODUCTION: Few medicines help. AREAS COVERED: Compounds discussed include baclofen, \
         topiramate and ketamine. EXPERT OPINION: Several look promising.",
    ));
    assert!(c.relevant, "{:?}", c.tags);
    assert!(c.condition_tags().contains(&"substance-use"));
}

#[test]
fn passing_mentions_do_not_make_an_entry_relevant() {
    let t = Tagger::builtin();
    // A drug survey naming ketamine among examples.
    let c = t.classify(&input(
        "Festival drug use in 2023",
        "Respondents reported use of stimulants such as cocaine, MDMA or ketamine. Most used alcohol.",
    ));
    assert!(!c.relevant, "{:?}", c.tags);
    // One item of a survey's list of substances.
    let c = t.classify(&input(
        "Substance use among festival-goers",
        "Past-year use of alcohol, cannabis, cocaine, MDMA, and ketamine was common.",
    ));
    assert!(!c.relevant, "{:?}", c.tags);
    let c = t.classify(&input(
        "Risky drinking at music festivals",
        "Risky drinkers reported more use of tobacco, cannabis, cocaine, and ketamine compared with those at lower risk.",
    ));
    assert!(!c.relevant, "{:?}", c.tags);
    // A list of compared arms is studied.
    let c = t.classify(&input(
        "Sedation for cardioversion",
        "Patients were randomized to ketamine, propofol, etomidate, or saline.",
    ));
    assert!(c.relevant, "{:?}", c.tags);
    // Ketamine as the anaesthetic of an animal experiment.
    let c = t.classify(&input(
        "Hippocampal recordings after fear learning",
        "Rats were anesthetized with ketamine before electrodes were implanted. Fear memory was tested.",
    ));
    assert!(!c.relevant, "{:?}", c.tags);
}

#[test]
fn a_review_whose_scope_lists_ketamine_is_relevant_and_takes_its_conditions() {
    let t = Tagger::builtin();
    let c = t.classify(&input(
        "Fast-acting treatments in psychiatry",
        "This narrative review covers rapid-acting agents, such as ketamine and esketamine, for \
         treatment-resistant depression. We summarize dosing and safety.",
    ));
    assert!(c.relevant, "{:?}", c.tags);
    assert_eq!(c.condition_tags(), ["trd", "depression"]);
    assert!(types(&c).contains(&"review"));
    // The same list in a primary study stays a passing mention.
    let c = t.classify(&input(
        "Psilocybin in treatment-resistant depression",
        "Agents such as ketamine and esketamine act quickly. Patients received psilocybin.",
    ));
    assert!(!c.relevant, "{:?}", c.tags);
}

#[test]
fn anxiety_as_an_adverse_event_or_a_covariate_is_not_tagged() {
    let t = Tagger::builtin();
    let c = t.classify(&input(
        "Ketamine for depressive episodes",
        "METHODS: Adults with major depression were randomised to ketamine or midazolam. \
         RESULTS: Adverse events included nausea, dizziness and anxiety. \
         In the risk model, covariates included age, anxiety and prior episodes.",
    ));
    assert_eq!(c.condition_tags(), ["depression"]);
    // Anxiety measured as an outcome still counts.
    let c = t.classify(&input(
        "Ketamine before surgery",
        "Children were randomised to oral ketamine or midazolam. Preoperative anxiety was scored with the mYPAS.",
    ));
    assert_eq!(c.condition_tags(), ["anxiety"]);
}

#[test]
fn case_reports_and_small_case_series_are_typed_from_the_text() {
    let t = Tagger::builtin();
    for abstract_ in [
        "We describe two cases of refractory catatonia treated with ketamine.",
        "Five open-label cases of adolescents given intranasal esketamine are described.",
        "Presentation of 3 cases: each patient received oral ketamine at home.",
        "A 54-year-old woman with chronic pain received ketamine lozenges.",
    ] {
        let c = t.classify(&input("Ketamine at the bedside", abstract_));
        assert_eq!(types(&c), ["case-report"], "{abstract_}");
    }
    // A count inside a trial is not a case report.
    let c = t.classify(&input(
        "Ketamine for postoperative pain: a randomized controlled trial",
        "Two cases of hallucinations occurred in the ketamine arm.",
    ));
    assert_eq!(types(&c), ["rct"]);
}

#[test]
fn reviews_that_describe_themselves_and_secondary_trial_analyses() {
    let t = Tagger::builtin();
    let c = t.classify(&input(
        "Ketamine and the glutamate hypothesis",
        "This article briefly reviews how ketamine came to be used for depression. We discuss open questions.",
    ));
    assert_eq!(types(&c), ["review"]);
    for text in [
        "This is a post hoc analysis of a double-blind trial of esketamine nasal spray in adults with depression.",
        "In this secondary analysis of the ELEKT-D randomized trial, we compared ketamine and ECT.",
        "The order of the two infusions was randomized.",
    ] {
        let c = t.classify(&input("Ketamine outcomes", text));
        assert_eq!(types(&c), ["rct"], "{text}");
    }
}

#[test]
fn meta_analysis_is_not_set_by_a_mention() {
    let t = Tagger::builtin();
    for text in [
        "We followed the Preferred Reporting Items for Systematic Reviews and Meta-Analyses. We searched PubMed for trials of ketamine.",
        "Previous meta-analyses have shown that ketamine acts quickly. We randomized 40 adults to ketamine or saline.",
        "Summary statistics came from a GWAS meta-analysis of depression; Mendelian randomization tested ketamine's target.",
        "Owing to heterogeneity, a meta-analysis was not possible. We systematically searched Embase for ketamine trials.",
    ] {
        let c = t.classify(&input("Ketamine evidence", text));
        assert!(
            !types(&c).contains(&"meta-analysis"),
            "{text}: {:?}",
            c.tags
        );
    }
    let c = t.classify(&input(
        "Ketamine evidence",
        "We performed a meta-analysis of eight ketamine trials. Data were pooled with a random-effects model.",
    ));
    assert!(types(&c).contains(&"meta-analysis"), "{:?}", c.tags);
}

#[test]
fn stated_publication_types_decide_the_types() {
    let t = Tagger::builtin();
    let text = "We searched PubMed and performed a meta-analysis of ten ketamine trials; patients were randomized to ketamine.";
    let stated = vec![
        "Journal Article".to_string(),
        "Systematic Review".to_string(),
    ];
    let c = t.classify(&TagInput {
        publication_types: &stated,
        ..input("Ketamine for depression", text)
    });
    assert_eq!(types(&c), ["review"]);
    assert_eq!(c.tags.last().unwrap().evidence.field, "publication_types");
    let plain = vec!["Journal Article".to_string()];
    let c = t.classify(&TagInput {
        publication_types: &plain,
        ..input("A Mendelian randomization study of ketamine's target", text)
    });
    assert!(types(&c).is_empty(), "{:?}", c.tags);
    // Without stated types the text decides.
    let c = t.classify(&input("Ketamine for depression", text));
    assert!(types(&c).contains(&"meta-analysis"));
    // Europe PMC's own spellings.
    let epmc = vec!["review-article".to_string()];
    let c = t.classify(&TagInput {
        publication_types: &epmc,
        ..input("Ketamine for depression", "")
    });
    assert_eq!(types(&c), ["review"]);
}

#[test]
fn context_rules_can_depend_on_the_entry_and_be_limited_to_fields() {
    let over = r#"
[[context]]
id = "user.no-ptsd-in-reviews"
effect = "suppress"
fields = ["abstract"]
before = 255
after = 255
phrases = ["veterans"]
doc_any = ["review"]
"#;
    let t = Tagger::builtin().with_overrides(over, "user.toml").unwrap();
    let study = input("Ketamine trial", "Veterans with PTSD received ketamine.");
    assert_eq!(t.classify(&study).condition_tags(), ["ptsd"]);
    let review = input(
        "Ketamine: a review",
        "Veterans with PTSD received ketamine in trials.",
    );
    assert!(t.classify(&review).condition_tags().is_empty());
    let title = input("Veterans with PTSD and a review of ketamine", "");
    assert_eq!(t.classify(&title).condition_tags(), ["ptsd"]);

    let bad =
        "[[context]]\nid = \"c\"\neffect = \"aim\"\nphrases = [\"we\"]\nfields = [\"body\"]\n";
    let e = Tagger::from_toml(bad, "u.toml").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (5, "fields"), "{e}");
    let e = Tagger::from_toml("[settings]\nopening_weight = 2.0\n", "u.toml").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (2, "opening_weight"), "{e}");
}

#[test]
fn ketamine_dependent_effects_are_not_dependence() {
    let t = Tagger::builtin();
    let c = t.classify(&input(
        "Ketamine-dependent changes in cortical connectivity in healthy adults",
        "",
    ));
    assert!(c.relevant);
    assert!(c.condition_tags().is_empty(), "{:?}", c.tags);
    let c = t.classify(&input("Cognition in ketamine-dependent users", ""));
    assert_eq!(c.condition_tags(), ["substance-use"]);
}
