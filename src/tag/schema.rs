//! The rule file's schema (the TOML tables as serde types) and merging a user's file over
//! the shipped one by rule id.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub normalise: BTreeMap<String, String>,
    #[serde(default)]
    pub section: Vec<SectionRule>,
    #[serde(default)]
    pub tag: Vec<TagRule>,
    #[serde(default)]
    pub phrase: Vec<PhraseRule>,
    #[serde(default)]
    pub context: Vec<ContextRule>,
    #[serde(default)]
    pub mesh: Vec<MeshRule>,
    #[serde(default)]
    pub pubtype: Vec<PubtypeRule>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub threshold: Option<f32>,
    pub clause_breaks: Option<Vec<String>>,
    pub field_weight: Option<BTreeMap<String, f32>>,
    /// Weight of an unstructured abstract's opening sentence, which states the field's
    /// motivation more often than the study.
    pub opening_weight: Option<f32>,
    /// When an entry carries publication types (PubMed, Europe PMC), they alone set the
    /// `type:` tags.
    pub publication_types_decide: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionRule {
    pub id: String,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default = "one")]
    pub weight: f32,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagRule {
    pub id: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub implies: Vec<String>,
    #[serde(default)]
    pub unless: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhraseRule {
    pub id: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub phrases: Vec<String>,
    #[serde(default = "one")]
    pub weight: f32,
    #[serde(default)]
    pub upper: bool,
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default)]
    pub doc_any: Vec<String>,
    #[serde(default)]
    pub doc_none: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextRule {
    pub id: String,
    #[serde(default)]
    pub effect: String,
    #[serde(default)]
    pub applies: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub before: u32,
    #[serde(default)]
    pub after: u32,
    #[serde(default = "fifth")]
    pub factor: f32,
    #[serde(default)]
    pub phrases: Vec<String>,
    /// With no phrases: acts on a match that is one item of an enumeration, at least this
    /// many commas within `before`/`after` words of it.
    #[serde(default)]
    pub list: u32,
    /// Limits the cue to some fields (all when empty).
    #[serde(default)]
    pub fields: Vec<String>,
    /// The cue acts only in entries where one of these occurs somewhere / none does.
    #[serde(default)]
    pub doc_any: Vec<String>,
    #[serde(default)]
    pub doc_none: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeshRule {
    pub id: String,
    #[serde(default)]
    pub headings: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PubtypeRule {
    pub id: String,
    #[serde(default)]
    pub types: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
}

fn one() -> f32 {
    1.0
}
fn fifth() -> f32 {
    0.2
}

/// Applies `over` to `base`: a rule with a known id replaces that rule (so `disabled = true`
/// switches it off), a new id is appended, settings and spellings are overridden key by key.
pub fn merge(mut base: RuleFile, over: RuleFile) -> RuleFile {
    fn by_id<T>(base: &mut Vec<T>, over: Vec<T>, id: impl Fn(&T) -> &str) {
        for r in over {
            match base.iter().position(|b| id(b) == id(&r)) {
                Some(i) => base[i] = r,
                None => base.push(r),
            }
        }
    }
    if let Some(t) = over.settings.threshold {
        base.settings.threshold = Some(t);
    }
    if let Some(c) = over.settings.clause_breaks {
        base.settings.clause_breaks = Some(c);
    }
    if let Some(w) = over.settings.opening_weight {
        base.settings.opening_weight = Some(w);
    }
    if let Some(d) = over.settings.publication_types_decide {
        base.settings.publication_types_decide = Some(d);
    }
    if let Some(fw) = over.settings.field_weight {
        base.settings
            .field_weight
            .get_or_insert_with(BTreeMap::new)
            .extend(fw);
    }
    base.normalise.extend(over.normalise);
    by_id(&mut base.section, over.section, |r| &r.id);
    by_id(&mut base.tag, over.tag, |r| &r.id);
    by_id(&mut base.phrase, over.phrase, |r| &r.id);
    by_id(&mut base.context, over.context, |r| &r.id);
    by_id(&mut base.mesh, over.mesh, |r| &r.id);
    by_id(&mut base.pubtype, over.pubtype, |r| &r.id);
    base
}
