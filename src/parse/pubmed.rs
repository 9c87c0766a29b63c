//! NCBI E-utilities XML: efetch `PubmedArticleSet` articles into `RawEntry` values, and esearch `eSearchResult` documents.
//!
//! Conventions (documented for users):
//! - Identifiers come only from the article's own `MedlineCitation/PMID` and
//!   `PubmedData/ArticleIdList` (or `BookDocument`'s). `ReferenceList` lists *other*
//!   works and is skipped whole; of `CommentsCorrectionsList` only the retraction,
//!   correction, concern and update relations are kept, as `notices` (see [`notices`]).
//! - `mesh` holds descriptor names; a trailing `*` marks a major topic (the
//!   descriptor or one of its qualifiers has `MajorTopicYN="Y"`), e.g. `Ketamine*`.
//! - Keywords go to `categories` verbatim; ClinicalTrials.gov accession numbers
//!   (from `DataBankList` and the abstract) give `nct_id` (the first) and
//!   `nct:NCT…` categories (the others).
//! - `published` is the electronic `ArticleDate` when present, else the issue's
//!   `PubDate` (`MedlineDate` free text such as "2023 Nov-Dec" is read as its
//!   first month); `updated` is `DateRevised`.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::attr;
use super::{ParseError, finish_entry, non_empty};
use crate::model::{FeedInfo, Format, ParsedFeed, RawEntry};
use crate::normalize::ids::{find_nct_ids, normalize_doi, normalize_pmcid, normalize_pmid};
use crate::normalize::text::collapse_ws;
use chrono::{DateTime, NaiveDate, Utc};

mod esearch;
pub(crate) mod notices;

pub use esearch::{ESearchResult, parse_esearch};
#[cfg(test)]
mod tests;

/// What an efetch call returned: articles, or the error document NCBI sends
/// with HTTP 200 (e.g. an expired `WebEnv`: "Unable to obtain query #1").
#[derive(Debug, Clone, PartialEq)]
pub enum Efetch {
    Articles(ParsedFeed),
    Error(String),
}

struct Xml<'a> {
    reader: Reader<&'a [u8]>,
    text: &'a str,
    origin: &'a str,
}

impl<'a> Xml<'a> {
    fn new(text: &'a str, origin: &'a str) -> Self {
        Self {
            reader: Reader::from_str(text),
            text,
            origin,
        }
    }

    fn err(&self, e: quick_xml::Error) -> ParseError {
        ParseError::xml(self.origin, self.text, self.reader.error_position(), &e)
    }

    fn eof_err(&self, inside: &str) -> ParseError {
        ParseError::unclosed(self.origin, self.text, inside)
    }

    fn next(&mut self) -> Result<Event<'a>, ParseError> {
        self.reader.read_event().map_err(|e| self.err(e))
    }

    /// The text of the element just opened, through inline markup (`<i>`,
    /// `<sup>`, MathML), whitespace collapsed. Inline tags add no space, so
    /// "CO<sub>2</sub>" reads "CO2".
    fn text_of(&mut self, name: &str) -> Result<String, ParseError> {
        let mut out = String::new();
        let mut depth = 0usize;
        loop {
            match self.next()? {
                Event::Text(t) => out.push_str(&t.xml10_content()),
                Event::CData(c) => out.push_str(&c.xml10_content()),
                Event::GeneralRef(r) => super::push_general_ref(&mut out, &r),
                Event::Start(_) => depth += 1,
                Event::End(_) => {
                    if depth == 0 {
                        return Ok(collapse_ws(&out));
                    }
                    depth -= 1;
                }
                Event::Eof => return Err(self.eof_err(name)),
                _ => {}
            }
        }
    }

    fn skip(&mut self, start: &BytesStart<'_>) -> Result<(), ParseError> {
        let name = start.name().as_ref().to_string();
        self.reader
            .read_to_end(quick_xml::name::QName(&name))
            .map(|_| ())
            .map_err(|e| match e {
                quick_xml::Error::IllFormed(quick_xml::errors::IllFormedError::MissingEndTag(
                    _,
                )) => self.eof_err(&name),
                e => self.err(e),
            })
    }

    /// Reads up to the root element; `None` for a document without one.
    fn root(&mut self) -> Result<Option<String>, ParseError> {
        loop {
            match self.next()? {
                Event::Start(s) => return Ok(Some(s.name().as_ref().to_string())),
                Event::Empty(s) => {
                    // An empty root has no children to read; remember that by
                    // returning a name the callers treat as "nothing inside".
                    return Ok(Some(format!("{}/", s.name().as_ref())));
                }
                Event::Eof => return Ok(None),
                _ => {}
            }
        }
    }
}

/// Parses an efetch `PubmedArticleSet` into a feed; the NCBI error document
/// becomes a `ParseError` here (the driver uses [`parse_efetch`] to tell them apart).
pub fn parse(text: &str, origin: &str) -> Result<ParsedFeed, ParseError> {
    match parse_efetch(text, origin)? {
        Efetch::Articles(feed) => Ok(feed),
        Efetch::Error(msg) => Err(ParseError::invalid(
            origin,
            format!("efetch answered with an error: {msg}"),
        )),
    }
}

/// Parses an efetch answer: `PubmedArticleSet`, or `eFetchResult` carrying `ERROR`.
pub fn parse_efetch(text: &str, origin: &str) -> Result<Efetch, ParseError> {
    let mut x = Xml::new(text, origin);
    let root = x.root()?;
    let feed = |entries| ParsedFeed {
        feed: FeedInfo {
            title: None,
            link: None,
            format: Format::Pubmed,
            ttl_minutes: None,
        },
        entries,
    };
    match root.as_deref() {
        Some("PubmedArticleSet/") => Ok(Efetch::Articles(feed(Vec::new()))),
        Some("PubmedArticleSet") => {
            let mut entries = Vec::new();
            loop {
                match x.next()? {
                    Event::Start(s) => match s.name().as_ref() {
                        "PubmedArticle" | "PubmedBookArticle" => {
                            let name = s.name().as_ref().to_string();
                            entries.push(parse_article(&mut x, &name)?);
                        }
                        _ => x.skip(&s)?,
                    },
                    Event::End(_) => break,
                    Event::Eof => return Err(x.eof_err("PubmedArticleSet")),
                    _ => {}
                }
            }
            Ok(Efetch::Articles(feed(entries)))
        }
        Some("eFetchResult" | "eFetchResult/") => {
            let mut msgs = Vec::new();
            if root.as_deref() == Some("eFetchResult") {
                collect_errors(&mut x, "eFetchResult", &mut msgs)?;
            }
            Ok(Efetch::Error(if msgs.is_empty() {
                "eFetchResult without articles".into()
            } else {
                msgs.join("; ")
            }))
        }
        Some("eSearchResult" | "eSearchResult/") => Err(ParseError::NotAFeed {
            origin: origin.to_string(),
            what: "an esearch result lists PMIDs only; parse the efetch document for the articles"
                .into(),
        }),
        Some(other) => Err(ParseError::NotAFeed {
            origin: origin.to_string(),
            what: format!(
                "root element <{}> (expected <PubmedArticleSet>)",
                other.trim_end_matches('/')
            ),
        }),
        None => Err(ParseError::NotAFeed {
            origin: origin.to_string(),
            what: "no root element".into(),
        }),
    }
}

/// Collects the text of every `ERROR` element below the current one.
fn collect_errors(x: &mut Xml<'_>, outer: &str, out: &mut Vec<String>) -> Result<(), ParseError> {
    let mut depth = 0usize;
    loop {
        match x.next()? {
            Event::Start(s) if s.name().as_ref().eq_ignore_ascii_case("error") => {
                let t = x.text_of("ERROR")?;
                if !t.is_empty() {
                    out.push(t);
                }
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                if depth == 0 {
                    return Ok(());
                }
                depth -= 1;
            }
            Event::Eof => return Err(x.eof_err(outer)),
            _ => {}
        }
    }
}

/// Fields gathered while walking one article before they are settled.
#[derive(Default)]
struct Acc {
    entry: RawEntry,
    abstract_parts: Vec<String>,
    article_date: Option<DateTime<Utc>>,
    pub_date: Option<DateTime<Utc>>,
    journal_title: Option<String>,
    journal_iso: Option<String>,
    book_title: Option<String>,
    eloc_doi: Option<String>,
    nct: Vec<String>,
}

/// Elements whose subtree names other works; their ids must never leak.
fn is_foreign_subtree(name: &str) -> bool {
    matches!(
        name,
        "ReferenceList" | "History" | "OtherAbstract" | "Reference"
    )
}

fn parse_article(x: &mut Xml<'_>, outer: &str) -> Result<RawEntry, ParseError> {
    let mut acc = Acc::default();
    // Names of the open elements below the article element.
    let mut stack: Vec<String> = Vec::new();
    loop {
        let ev = x.next()?;
        match ev {
            Event::Start(s) => {
                let name = s.name().as_ref().to_string();
                if is_foreign_subtree(&name) {
                    x.skip(&s)?;
                    continue;
                }
                let parent = stack.last().map(String::as_str).unwrap_or(outer);
                let grand = match stack.len() {
                    0 => "",
                    1 => outer,
                    n => stack[n - 2].as_str(),
                };
                if !take_element(x, &mut acc, &s, &name, parent, grand)? {
                    stack.push(name);
                }
            }
            Event::End(_) if stack.pop().is_none() => break,
            Event::Eof => return Err(x.eof_err(outer)),
            _ => {}
        }
    }
    Ok(settle(acc))
}

/// Handles one element by its place; returns `true` when it consumed the
/// element whole, `false` to descend into it.
fn take_element(
    x: &mut Xml<'_>,
    acc: &mut Acc,
    s: &BytesStart<'_>,
    name: &str,
    parent: &str,
    grand: &str,
) -> Result<bool, ParseError> {
    let at = Place {
        name,
        parent,
        grand,
    };
    Ok(take_notice(x, acc, s, at)?
        || take_id(x, acc, s, at)?
        || take_text(x, acc, s, at)?
        || take_listed(x, acc, s, at)?)
}

/// Where an element stands: its name, its parent's and its grandparent's.
#[derive(Clone, Copy)]
struct Place<'p> {
    name: &'p str,
    parent: &'p str,
    grand: &'p str,
}

/// Notices: a `CommentsCorrections` relation, read whole so that the other work's
/// PMID never reaches [`take_id`]. Relations that are no notice are dropped.
fn take_notice(
    x: &mut Xml<'_>,
    acc: &mut Acc,
    s: &BytesStart<'_>,
    at: Place<'_>,
) -> Result<bool, ParseError> {
    if (at.parent, at.name) != ("CommentsCorrectionsList", "CommentsCorrections") {
        return Ok(false);
    }
    if let Some(n) = notices::read_comments_corrections(x, s)? {
        notices::push(&mut acc.entry.notices, n);
    }
    Ok(true)
}

/// Identifiers: the PMID, the ArticleIdList, and an ELocationID DOI.
fn take_id(
    x: &mut Xml<'_>,
    acc: &mut Acc,
    s: &BytesStart<'_>,
    at: Place<'_>,
) -> Result<bool, ParseError> {
    let Place {
        name,
        parent,
        grand,
    } = at;
    let e = &mut acc.entry;
    match (parent, name) {
        ("MedlineCitation" | "BookDocument", "PMID") => {
            let v = x.text_of(name)?;
            if e.pmid.is_none() {
                e.pmid = normalize_pmid(&v);
            }
        }
        ("ArticleIdList", "ArticleId")
            if matches!(grand, "PubmedData" | "PubmedBookData" | "BookDocument") =>
        {
            let kind = attr(s, "IdType").unwrap_or_default();
            let v = x.text_of(name)?;
            match kind.as_str() {
                "pubmed" if e.pmid.is_none() => e.pmid = normalize_pmid(&v),
                "doi" if e.doi.is_none() => e.doi = normalize_doi(&v),
                "pmc" if e.pmcid.is_none() => e.pmcid = normalize_pmcid(&v),
                _ => {}
            }
        }
        ("Article", "ELocationID") => {
            let is_doi = attr(s, "EIdType").as_deref() == Some("doi");
            let v = x.text_of(name)?;
            if is_doi && acc.eloc_doi.is_none() {
                acc.eloc_doi = normalize_doi(&v);
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Titles and the abstract.
fn take_text(
    x: &mut Xml<'_>,
    acc: &mut Acc,
    s: &BytesStart<'_>,
    at: Place<'_>,
) -> Result<bool, ParseError> {
    let Place {
        name,
        parent,
        grand,
    } = at;
    let e = &mut acc.entry;
    match (parent, name) {
        ("Article" | "BookDocument", "ArticleTitle") => {
            e.title = non_empty(x.text_of(name)?);
        }
        ("Article", "VernacularTitle") => {
            let v = x.text_of(name)?;
            if e.title.is_none() {
                e.title = non_empty(v);
            }
        }
        ("Book", "BookTitle") => acc.book_title = non_empty(x.text_of(name)?),
        ("Abstract", "AbstractText") if matches!(grand, "Article" | "BookDocument") => {
            let label = attr(s, "Label").filter(|l| !l.is_empty());
            let v = x.text_of(name)?;
            if !v.is_empty() {
                acc.abstract_parts.push(match label {
                    Some(l) => format!("{l}: {v}"),
                    None => v,
                });
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Authors, publication types, MeSH, keywords, registry numbers, dates and the
/// journal; and the subtrees with nothing kept, skipped.
fn take_listed(
    x: &mut Xml<'_>,
    acc: &mut Acc,
    s: &BytesStart<'_>,
    at: Place<'_>,
) -> Result<bool, ParseError> {
    let Place {
        name,
        parent,
        grand: _,
    } = at;
    let e = &mut acc.entry;
    match (parent, name) {
        ("AuthorList", "Author") => {
            let valid = attr(s, "ValidYN").as_deref() != Some("N");
            // Repeats are dropped once, in linear time, by normalize::entry::finish.
            if let Some(a) = read_author(x)?
                && valid
            {
                e.authors.push(a);
            }
        }
        // Editors of a book are not its authors.
        (_, "AuthorList") if attr(s, "Type").as_deref() == Some("editors") => x.skip(s)?,
        ("Journal", "Title") => acc.journal_title = non_empty(x.text_of(name)?),
        ("Journal", "ISOAbbreviation") => acc.journal_iso = non_empty(x.text_of(name)?),
        ("JournalIssue" | "Book", "PubDate") => acc.pub_date = read_date(x, name)?,
        ("Article", "ArticleDate") => {
            let d = read_date(x, name)?;
            if acc.article_date.is_none() {
                acc.article_date = d;
            }
        }
        ("MedlineCitation" | "BookDocument", "DateRevised") => e.updated = read_date(x, name)?,
        ("PublicationTypeList", "PublicationType") => {
            let v = x.text_of(name)?;
            // Repeats are dropped once, in linear time, by normalize::entry::finish.
            if !v.is_empty() {
                e.publication_types.push(v);
            }
        }
        ("MeshHeadingList", "MeshHeading") => {
            if let Some(m) = read_mesh(x)? {
                e.mesh.push(m);
            }
        }
        ("KeywordList", "Keyword") => {
            let v = x.text_of(name)?;
            if !v.is_empty() {
                e.categories.push(v);
            }
        }
        ("DataBankList", "DataBank") => read_databank(x, &mut acc.nct)?,
        // Subtrees with nothing we keep: skipped to save work.
        (
            _,
            "AffiliationInfo"
            | "GrantList"
            | "ChemicalList"
            | "SupplMeshList"
            | "InvestigatorList"
            | "CopyrightInformation"
            | "Pagination"
            | "ISSN"
            | "MedlineJournalInfo"
            | "CitationSubset"
            | "GeneralNote"
            | "DateCompleted"
            | "Sections",
        ) => x.skip(s)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn read_author(x: &mut Xml<'_>) -> Result<Option<String>, ParseError> {
    let (mut last, mut fore, mut initials, mut collective) = (None, None, None, None);
    loop {
        match x.next()? {
            Event::Start(s) => {
                let name = s.name().as_ref().to_string();
                match name.as_str() {
                    "LastName" => last = non_empty(x.text_of(&name)?),
                    "ForeName" => fore = non_empty(x.text_of(&name)?),
                    "Initials" => initials = non_empty(x.text_of(&name)?),
                    "CollectiveName" => collective = non_empty(x.text_of(&name)?),
                    _ => x.skip(&s)?,
                }
            }
            Event::End(_) => break,
            Event::Eof => return Err(x.eof_err("Author")),
            _ => {}
        }
    }
    let initials = initials.or_else(|| {
        fore.as_deref().map(|f| {
            f.split([' ', '-'])
                .filter_map(|w| w.chars().next())
                .filter(|c| c.is_alphabetic())
                .flat_map(char::to_uppercase)
                .collect::<String>()
        })
    });
    Ok(match (last, collective) {
        (Some(l), _) => Some(match initials.filter(|i| !i.is_empty()) {
            Some(i) => format!("{l} {i}"),
            None => l,
        }),
        (None, Some(c)) => Some(c),
        (None, None) => None,
    })
}

fn read_mesh(x: &mut Xml<'_>) -> Result<Option<String>, ParseError> {
    let mut descriptor = None;
    let mut major = false;
    loop {
        match x.next()? {
            Event::Start(s) => {
                let name = s.name().as_ref().to_string();
                let yes = attr(&s, "MajorTopicYN").as_deref() == Some("Y");
                match name.as_str() {
                    "DescriptorName" => {
                        major |= yes;
                        descriptor = non_empty(x.text_of(&name)?);
                    }
                    "QualifierName" => {
                        major |= yes;
                        x.skip(&s)?;
                    }
                    _ => x.skip(&s)?,
                }
            }
            Event::End(_) => break,
            Event::Eof => return Err(x.eof_err("MeshHeading")),
            _ => {}
        }
    }
    Ok(descriptor.map(|d| if major { format!("{d}*") } else { d }))
}

fn read_databank(x: &mut Xml<'_>, nct: &mut Vec<String>) -> Result<(), ParseError> {
    let mut bank = String::new();
    let mut numbers = Vec::new();
    let mut depth = 0usize;
    loop {
        match x.next()? {
            Event::Start(s) => {
                let name = s.name().as_ref().to_string();
                match name.as_str() {
                    "DataBankName" => bank = x.text_of(&name)?,
                    "AccessionNumber" => numbers.push(x.text_of(&name)?),
                    _ => depth += 1,
                }
            }
            Event::End(_) => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            Event::Eof => return Err(x.eof_err("DataBank")),
            _ => {}
        }
    }
    if bank.trim().eq_ignore_ascii_case("ClinicalTrials.gov") {
        for n in numbers {
            nct.extend(find_nct_ids(&n));
        }
    }
    Ok(())
}

/// Reads `Year`/`Month`/`Day` (or `MedlineDate`, or `Season`) children.
fn read_date(x: &mut Xml<'_>, outer: &str) -> Result<Option<DateTime<Utc>>, ParseError> {
    let (mut year, mut month, mut day, mut medline) = (None, None, None, None);
    loop {
        match x.next()? {
            Event::Start(s) => {
                let name = s.name().as_ref().to_string();
                let v = x.text_of(&name)?;
                match name.as_str() {
                    "Year" => year = v.parse::<i32>().ok(),
                    "Month" => month = month_number(&v),
                    "Day" => day = v.parse::<u32>().ok(),
                    "Season" if month.is_none() => month = season_month(&v),
                    "MedlineDate" => medline = Some(v),
                    _ => {}
                }
            }
            Event::End(_) => break,
            Event::Eof => return Err(x.eof_err(outer)),
            _ => {}
        }
    }
    Ok(match (year, medline) {
        (Some(y), _) => ymd(y, month, day),
        (None, Some(m)) => medline_date(&m),
        (None, None) => None,
    })
}

fn ymd(y: i32, m: Option<u32>, d: Option<u32>) -> Option<DateTime<Utc>> {
    let date = NaiveDate::from_ymd_opt(y, m.unwrap_or(1), d.unwrap_or(1))
        // A day that does not exist in the month (seen in old records): keep the month.
        .or_else(|| NaiveDate::from_ymd_opt(y, m.unwrap_or(1), 1))?;
    date.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
}

fn month_number(s: &str) -> Option<u32> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u32>() {
        return (1..=12).contains(&n).then_some(n);
    }
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let head = s.get(..3)?.to_ascii_lowercase();
    NAMES
        .iter()
        .position(|n| *n == head)
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// The first month of a season as NLM uses them (Winter is the start of the year).
fn season_month(s: &str) -> Option<u32> {
    match s.trim().to_ascii_lowercase().as_str() {
        "winter" => Some(1),
        "spring" => Some(3),
        "summer" => Some(6),
        "fall" | "autumn" => Some(9),
        _ => None,
    }
}

/// `MedlineDate` free text: "2023 Nov-Dec", "1998 Dec-1999 Jan", "2000 Spring",
/// "2019 Jan 15-21", "2000-2001". The start of the range is taken.
pub(crate) fn medline_date(s: &str) -> Option<DateTime<Utc>> {
    let mut toks = s
        .split(|c: char| c.is_whitespace() || c == '-' || c == ',' || c == '/')
        .filter(|t| !t.is_empty());
    let year = toks
        .next()
        .filter(|t| t.len() == 4)
        .and_then(|t| t.parse::<i32>().ok())?;
    let mut month = None;
    let mut day = None;
    if let Some(t) = toks.next() {
        if t.chars().all(|c| c.is_ascii_digit()) {
            // "2000-2001": a second year, not a month.
            if t.len() != 4 {
                month = month_number(t);
            }
        } else {
            month = month_number(t).or_else(|| season_month(t));
            if month.is_some()
                && let Some(d) = toks.next()
                && d.len() <= 2
            {
                day = d.parse::<u32>().ok();
            }
        }
    }
    ymd(year, month, day)
}

fn settle(acc: Acc) -> RawEntry {
    let mut e = acc.entry;
    if e.doi.is_none() {
        e.doi = acc.eloc_doi;
    }
    e.journal = acc.journal_title.or(acc.journal_iso).or(acc.book_title);
    e.published = acc.article_date.or(acc.pub_date);
    e.summary = non_empty(acc.abstract_parts.join(" "));
    if let Some(n) = notices::from_publication_types(&e.publication_types) {
        notices::push(&mut e.notices, n);
    }
    if let Some(p) = &e.pmid {
        e.guid = Some(format!("pubmed:{p}"));
        e.link = Some(format!("https://pubmed.ncbi.nlm.nih.gov/{p}/"));
    }
    let mut nct = acc.nct;
    for t in [e.title.as_deref(), e.summary.as_deref()]
        .into_iter()
        .flatten()
    {
        nct.extend(find_nct_ids(t));
    }
    crate::normalize::entry::dedup_in_order(&mut nct);
    let mut ids = nct.into_iter();
    e.nct_id = ids.next();
    e.categories.extend(ids.map(|id| format!("nct:{id}")));
    finish_entry(&mut e);
    e
}
