//! Getting entries out for reference managers and scripts: one [`Record`] per stored work
//! (names split, kind decided, citation key assigned) written as RIS, BibTeX, CSL-JSON,
//! CSV or JSON lines.

mod bibtex;
mod csl;
mod csv;
pub mod link;
pub mod names;
pub mod opml;
mod ris;

use std::collections::HashMap;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::store::{EntryDetail, KeyBasis};
pub use csv::defuse as defuse_csv_cell;
pub use names::Name;

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Ris,
    Bibtex,
    #[value(name = "csl-json")]
    CslJson,
    Csv,
    Jsonl,
}

/// What kind of work an entry is, from its `type:` tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkKind {
    Article,
    Preprint,
    TrialRegistration,
}

/// One work ready to be written in any format.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub id: i64,
    /// The citation key, shared by BibTeX and CSL-JSON (`@key` in pandoc).
    pub key: String,
    pub kind: WorkKind,
    pub title: String,
    pub authors: Vec<Name>,
    pub journal: Option<String>,
    pub year: Option<i32>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub pmcid: Option<String>,
    pub nct_id: Option<String>,
    /// The work's http(s) link, else its DOI's; never any other scheme (see [`link`]).
    pub url: Option<String>,
    #[serde(rename = "abstract")]
    pub abstract_: Option<String>,
    /// The entry's tags.
    pub keywords: Vec<String>,
    pub sources: Vec<String>,
    /// For a retracted work, the note RIS `N1` and BibTeX `note` carry.
    #[serde(skip)]
    pub retraction: Option<String>,
}

/// "RETRACTED: " and what the latest retraction event says, for a retracted work.
fn retraction_note(d: &EntryDetail) -> Option<String> {
    if d.summary.status != Some("retracted") {
        return None;
    }
    let ev = d.events.iter().find(|e| e.kind == "retracted");
    Some(match ev.map(|e| (e.detail.as_str(), e.link.as_deref())) {
        Some((detail, Some(link))) => format!("RETRACTED: {detail} ({link})"),
        Some((detail, None)) => format!("RETRACTED: {detail}"),
        None => "RETRACTED".to_string(),
    })
}

impl Record {
    pub fn new(d: &EntryDetail, key: String) -> Record {
        let s = &d.summary;
        let has = |t: &str| s.tags.iter().any(|x| x == t);
        let kind = if has("type:trial-registration") {
            WorkKind::TrialRegistration
        } else if has("type:preprint") {
            WorkKind::Preprint
        } else {
            WorkKind::Article
        };
        let url = link::work_link(s.link.as_deref(), s.doi.as_deref());
        Record {
            id: s.id,
            key,
            kind,
            title: s.title.trim().to_string(),
            authors: d.authors.iter().map(|a| Name::parse(a)).collect(),
            journal: s.journal.clone().filter(|j| !j.trim().is_empty()),
            year: s.published.map(|p| chrono::Datelike::year(&p)),
            date: s.published.map(|p| p.format("%Y-%m-%d").to_string()),
            doi: s.doi.clone(),
            pmid: s.pmid.clone(),
            pmcid: s.pmcid.clone(),
            nct_id: s.nct_id.clone(),
            url,
            abstract_: d.abstract_.clone().filter(|a| !a.trim().is_empty()),
            keywords: s.tags.clone(),
            sources: s.sources.clone(),
            retraction: retraction_note(d),
        }
    }

    /// `(year, month, day)` of the date.
    pub fn date_parts(&self) -> Option<(i32, u32, u32)> {
        let d = chrono::NaiveDate::parse_from_str(self.date.as_deref()?, "%Y-%m-%d").ok()?;
        Some((
            chrono::Datelike::year(&d),
            chrono::Datelike::month(&d),
            chrono::Datelike::day(&d),
        ))
    }
}

/// Builds records for `details`, with keys made unique over the whole database (`basis`).
pub fn records(details: &[EntryDetail], basis: &[KeyBasis]) -> Vec<Record> {
    let keys = citation_keys(basis);
    details
        .iter()
        .map(|d| {
            let key = keys
                .get(&d.summary.id)
                .cloned()
                .unwrap_or_else(|| format!("ketlit{}", d.summary.id));
            Record::new(d, key)
        })
        .collect()
}

/// Writes `records` in `format`.
pub fn write(format: ExportFormat, records: &[Record], out: &mut dyn Write) -> Result<()> {
    match format {
        ExportFormat::Ris => ris::write(records, out)?,
        ExportFormat::Bibtex => bibtex::write(records, out)?,
        ExportFormat::CslJson => csl::write(records, out)?,
        ExportFormat::Csv => csv::write_csv(records, out)?,
        ExportFormat::Jsonl => csv::write_jsonl(records, out)?,
    }
    Ok(())
}

/// Title words too common to name a paper by.
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "of", "on", "in", "for", "and", "with", "to", "from", "by", "at", "is",
    "are", "as", "vs", "versus", "or", "its", "does", "do", "can", "how", "what", "why", "when",
];

/// `reif2024esketamine`: first author's family name, year, first significant title word,
/// ASCII only. Colliding keys are told apart by id: the oldest entry keeps the bare key
/// and later ones get `b`, `c`, …, so a key once given does not change when newer
/// papers arrive.
pub fn citation_keys(basis: &[KeyBasis]) -> HashMap<i64, String> {
    let mut sorted: Vec<&KeyBasis> = basis.iter().collect();
    sorted.sort_by_key(|b| b.id);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut out = HashMap::new();
    for b in sorted {
        let base = base_key(b);
        let n = seen.entry(base.clone()).or_insert(0);
        let mut key = if *n == 0 {
            base.clone()
        } else {
            format!("{base}{}", suffix(*n))
        };
        *n += 1;
        // A suffixed key can, in theory, equal another paper's bare key.
        if !taken.insert(key.clone()) {
            key = format!("{key}-{}", b.id);
            taken.insert(key.clone());
        }
        out.insert(b.id, key);
    }
    out
}

fn base_key(b: &KeyBasis) -> String {
    let author = b
        .first_author
        .as_deref()
        .map(|a| match Name::parse(a) {
            Name::Person { family, .. } => ascii_word(&family),
            Name::Literal { literal } => literal
                .split_whitespace()
                .next()
                .map(ascii_word)
                .unwrap_or_default(),
        })
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "anon".into());
    let year = b.year.map_or_else(|| "nd".to_string(), |y| y.to_string());
    let word = b
        .title
        .split(|c: char| c.is_whitespace() || c == '-' || c == '/' || c == ':')
        .map(ascii_word)
        .find(|w| !w.is_empty() && !STOPWORDS.contains(&w.as_str()))
        .unwrap_or_else(|| "untitled".into());
    format!("{author}{year}{word}")
}

/// 1 → b, 2 → c, …, 25 → z, 26 → ba, …
fn suffix(n: usize) -> String {
    let letter = |i: usize| (b'a' + i as u8) as char;
    let mut n = n;
    let mut s = String::new();
    loop {
        s.insert(0, letter(n % 26));
        n /= 26;
        if n == 0 {
            break;
        }
    }
    s
}

/// Lower-case ASCII letters and digits of `w`, accents folded (ü → u, ß → ss).
pub fn ascii_word(w: &str) -> String {
    let mut out = String::new();
    for c in w.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            continue;
        }
        let folded = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' => "c",
            'ď' | 'đ' | 'ð' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
            'ğ' => "g",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' => "i",
            'ł' | 'ľ' => "l",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
            'œ' => "oe",
            'ř' => "r",
            'ś' | 'š' | 'ş' => "s",
            'ß' => "ss",
            'ť' | 'ţ' => "t",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            'þ' => "th",
            _ => "",
        };
        out.push_str(folded);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb(id: i64, author: &str, year: Option<i32>, title: &str) -> KeyBasis {
        KeyBasis {
            id,
            first_author: (!author.is_empty()).then(|| author.to_string()),
            year,
            title: title.into(),
        }
    }

    #[test]
    fn keys_are_readable_unique_and_stable_by_id() {
        let basis = vec![
            kb(
                7,
                "Reif A",
                Some(2023),
                "Esketamine nasal spray versus quetiapine",
            ),
            kb(3, "Reif A", Some(2023), "Esketamine in TRD: a follow-up"),
            kb(9, "Müller K", None, "The role of ketamine"),
            kb(10, "", Some(2024), "—"),
            kb(11, "NIMH Ketamine Study Group", Some(2022), "On ketamine"),
        ];
        let k = citation_keys(&basis);
        assert_eq!(k[&3], "reif2023esketamine");
        assert_eq!(k[&7], "reif2023esketamineb");
        assert_eq!(k[&9], "mullerndrole");
        assert_eq!(k[&10], "anon2024untitled");
        assert_eq!(k[&11], "nimh2022ketamine");
        assert_eq!(suffix(25), "z");
        assert_eq!(suffix(26), "ba");
    }
}
