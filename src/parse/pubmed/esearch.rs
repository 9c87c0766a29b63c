//! NCBI esearch `eSearchResult` documents: the hit count, the history server keys,
//! the PMIDs, and the errors (a phrase PubMed did not know is not one).

use quick_xml::events::Event;

use super::Xml;
use crate::normalize::ids::normalize_pmid;
use crate::parse::{ParseError, non_empty};

/// An esearch answer. Zero hits (with `PhraseNotFound`) is a normal result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ESearchResult {
    pub count: u64,
    pub ret_max: u64,
    pub ret_start: u64,
    pub query_key: Option<String>,
    pub web_env: Option<String>,
    pub ids: Vec<String>,
    /// `ErrorList/PhraseNotFound`: terms PubMed did not know; not a failure.
    pub phrases_not_found: Vec<String>,
    /// Any other `ErrorList` child or top-level `ERROR`: the search failed.
    pub errors: Vec<String>,
}

/// Parses an esearch `eSearchResult`.
pub fn parse_esearch(text: &str, origin: &str) -> Result<ESearchResult, ParseError> {
    let mut x = Xml::new(text, origin);
    let mut r = ESearchResult::default();
    match x.root()?.as_deref() {
        Some("eSearchResult") => {}
        Some(other) => {
            return Err(ParseError::NotAFeed {
                origin: origin.to_string(),
                what: format!(
                    "root element <{}> (expected <eSearchResult>)",
                    other.trim_end_matches('/')
                ),
            });
        }
        None => {
            return Err(ParseError::NotAFeed {
                origin: origin.to_string(),
                what: "no root element".into(),
            });
        }
    }
    let num = |v: &str, what: &str| {
        v.trim().parse::<u64>().map_err(|_| {
            ParseError::invalid(origin, format!("esearch <{what}> is not a number: {v:?}"))
        })
    };
    loop {
        match x.next()? {
            Event::Start(s) => {
                let name = s.name().as_ref().to_string();
                match name.as_str() {
                    "Count" => r.count = num(&x.text_of(&name)?, "Count")?,
                    "RetMax" => r.ret_max = num(&x.text_of(&name)?, "RetMax")?,
                    "RetStart" => r.ret_start = num(&x.text_of(&name)?, "RetStart")?,
                    "QueryKey" => r.query_key = non_empty(x.text_of(&name)?),
                    "WebEnv" => r.web_env = non_empty(x.text_of(&name)?),
                    "IdList" => read_ids(&mut x, &mut r.ids)?,
                    "ErrorList" => read_error_list(&mut x, &mut r)?,
                    "ERROR" => {
                        let v = x.text_of(&name)?;
                        if !v.is_empty() {
                            r.errors.push(v);
                        }
                    }
                    _ => x.skip(&s)?,
                }
            }
            Event::End(_) => break,
            Event::Eof => return Err(x.eof_err("eSearchResult")),
            _ => {}
        }
    }
    Ok(r)
}

fn read_ids(x: &mut Xml<'_>, ids: &mut Vec<String>) -> Result<(), ParseError> {
    loop {
        match x.next()? {
            Event::Start(s) => {
                let v = x.text_of("Id")?;
                if s.name().as_ref() == "Id"
                    && let Some(p) = normalize_pmid(&v)
                {
                    ids.push(p);
                }
            }
            Event::End(_) => return Ok(()),
            Event::Eof => return Err(x.eof_err("IdList")),
            _ => {}
        }
    }
}

fn read_error_list(x: &mut Xml<'_>, r: &mut ESearchResult) -> Result<(), ParseError> {
    loop {
        match x.next()? {
            Event::Start(s) => {
                let name = s.name().as_ref().to_string();
                let v = x.text_of(&name)?;
                match name.as_str() {
                    // Unknown terms are reported here even when others matched.
                    "PhraseNotFound" | "FieldNotFound" => r.phrases_not_found.push(v),
                    _ => r.errors.push(format!("{name}: {v}")),
                }
            }
            Event::End(_) => return Ok(()),
            Event::Eof => return Err(x.eof_err("ErrorList")),
            _ => {}
        }
    }
}
