//! Relevance: the feed `filter` query language, parsed once into an AST and evaluated per entry.
//!
//! A feed may carry `filter = "…"`; entries that do not match are not stored.
//!
//! # Grammar
//!
//! ```text
//! filter  := or
//! or      := and ( "OR" and )*
//! and     := unary ( "AND"? unary )*          adjacent terms are implicitly ANDed
//! unary   := ( "NOT" | "-" ) unary | scoped | atom
//! scoped  := FIELD ":" atom                   whitespace after the colon is allowed
//! atom    := WORD | PREFIX | PHRASE | "(" or ")"
//! FIELD   := title | abstract | summary | mesh | author | journal | category
//! ```
//!
//! Precedence is NOT > AND > OR, so `a OR b AND c` is `a OR (b AND c)` and
//! `x OR y AND NOT title:erratum` still accepts an erratum that mentions `x`.
//!
//! Lexing:
//! - `AND`, `OR`, `NOT` are operators only in upper case and only as whole words;
//!   `and`/`or`/`not` are ordinary words, and `"AND"` searches for the word "and".
//! - `-` directly before a term, phrase, group or field scope (`-erratum`, `-"case report"`,
//!   `-(a OR b)`, `-title:erratum`) means NOT. A hyphen inside a word does not
//!   (`treatment-resistant`); a `-` followed by a space or `)` is an error (no letters).
//! - A WORD is a run of characters other than whitespace, `(`, `)` and `"`. It is split into
//!   tokens exactly like document text (see Matching): `treatment-resistant` and `2R,6R-HNK`
//!   are therefore phrases. A WORD ending in `*` is a PREFIX: its last token matches any
//!   document token starting with it (`keta*`, `treatment-resist*`). `*` anywhere else is
//!   an error.
//! - A PHRASE is `"…"`; there are no escapes. A `*` at the very end of the phrase makes its
//!   last word a prefix (`"nasal spr*"`).
//! - `name:` at the start of a WORD, where `name` is ASCII letters, is a field scope; the
//!   name is case-insensitive and `summary` is an alias of `abstract`. A scope applies to
//!   one atom; `title:(ketamine OR esketamine)` distributes over the group. Scopes do not
//!   nest. Text such as `2:1` (not letters before the colon) is an ordinary word, but
//!   `ratio:1` is an unknown-field error: quote it (`"ratio:1"`).
//! - Typographic quotes (`“…”`) are not quotes; they separate tokens like punctuation.
//! - Groups and NOTs nest at most 64 deep.
//!
//! # Matching
//!
//! Text is split into tokens of Unicode letters and digits; everything else (spaces,
//! hyphens, punctuation, apostrophes) separates tokens. Tokens are lowercased (Unicode) and
//! Latin diacritics are folded (`é`→`e`, `ß`→`ss`, `æ`→`ae`, `ø`→`o`, `ü`→`u`, combining
//! accents dropped), so `kétamine` matches `ketamine`. A word matches a whole token (no
//! stemming: `ketamine` does not match `ketamines`); a phrase matches consecutive tokens
//! within one field value (never across two MeSH headings, or from title into abstract).
//!
//! Unscoped terms search title, abstract, MeSH headings and categories. Journal and
//! author are searched only when scoped, because a journal name ("Depression and Anxiety")
//! or an author name says nothing about an article's topic.
//!
//! # Use
//!
//! Parse each feed's filter once (`Filter::parse`, or deserialise a `Filter`); build one
//! `FilterDoc::from_entry` per entry and pass it to every filter that applies, so the
//! entry is tokenised once however many filters or terms there are.

mod parser;
#[cfg(test)]
mod tests;
pub(crate) mod text;

use std::fmt;
use std::str::FromStr;

use crate::model::RawEntry;

pub use text::{FilterDoc, tokenize};

/// The filter used when a feed declares none.
pub const DEFAULT_FILTER: &str = "ketamine OR esketamine OR arketamine OR spravato OR ketalar \
     OR ketanest OR hydroxynorketamine OR norketamine OR \"2R,6R-HNK\"";

/// A parse error: the 1-based column (in characters) and a one-line message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct FilterError {
    pub column: usize,
    pub message: String,
}

impl FilterError {
    fn new(column: usize, message: impl Into<String>) -> Self {
        FilterError {
            column,
            message: message.into(),
        }
    }
}

/// The part of an entry a scoped term searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Title,
    Abstract,
    Mesh,
    Author,
    Journal,
    Category,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Title,
        Field::Abstract,
        Field::Mesh,
        Field::Author,
        Field::Journal,
        Field::Category,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Abstract => "abstract",
            Field::Mesh => "mesh",
            Field::Author => "author",
            Field::Journal => "journal",
            Field::Category => "category",
        }
    }

    /// Looks up a scope name, case-insensitively; `summary` is an alias of `abstract`.
    pub fn from_name(name: &str) -> Option<Field> {
        if name.eq_ignore_ascii_case("summary") {
            return Some(Field::Abstract);
        }
        Field::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(name))
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }

    /// The fields an unscoped term searches.
    fn unscoped_mask() -> u8 {
        Field::Title.bit() | Field::Abstract.bit() | Field::Mesh.bit() | Field::Category.bit()
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A leaf: one or more consecutive tokens, optionally scoped to one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// `None` searches title, abstract, MeSH and categories.
    pub field: Option<Field>,
    /// Normalised tokens (lowercase, folded); more than one makes a phrase. Never empty.
    pub words: Vec<String>,
    /// The last word matches as a prefix.
    pub prefix: bool,
}

impl Term {
    pub fn matches(&self, doc: &FilterDoc) -> bool {
        let mask = self.field.map_or_else(Field::unscoped_mask, Field::bit);
        doc.contains(mask, &self.words, self.prefix)
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(field) = self.field {
            write!(f, "{field}:")?;
        }
        let star = if self.prefix { "*" } else { "" };
        if let [word] = self.words.as_slice() {
            write!(f, "{word}{star}")
        } else {
            write!(f, "\"{}{star}\"", self.words.join(" "))
        }
    }
}

/// The filter AST. Field scopes are pushed down into the terms, and nested ANDs/ORs are
/// flattened, so equal meaning mostly means equal trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Term(Term),
    Not(Box<Expr>),
    /// At least two operands.
    And(Vec<Expr>),
    /// At least two operands.
    Or(Vec<Expr>),
}

impl Expr {
    pub fn matches(&self, doc: &FilterDoc) -> bool {
        match self {
            Expr::Term(t) => t.matches(doc),
            Expr::Not(e) => !e.matches(doc),
            Expr::And(es) => es.iter().all(|e| e.matches(doc)),
            Expr::Or(es) => es.iter().any(|e| e.matches(doc)),
        }
    }

    fn fmt_operand(&self, f: &mut fmt::Formatter<'_>, parent_binds_tighter: bool) -> fmt::Result {
        if parent_binds_tighter {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

/// Prints with explicit `AND`, parentheses only where precedence needs them, and folded
/// tokens; the output parses back to an equal `Expr`.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Term(t) => write!(f, "{t}"),
            Expr::Not(e) => {
                f.write_str("NOT ")?;
                e.fmt_operand(f, matches!(**e, Expr::And(_) | Expr::Or(_)))
            }
            Expr::And(es) => {
                for (i, e) in es.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" AND ")?;
                    }
                    e.fmt_operand(f, matches!(e, Expr::And(_) | Expr::Or(_)))?;
                }
                Ok(())
            }
            Expr::Or(es) => {
                for (i, e) in es.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" OR ")?;
                    }
                    e.fmt_operand(f, matches!(e, Expr::Or(_)))?;
                }
                Ok(())
            }
        }
    }
}

/// A parsed feed filter. Equality compares the source text; (de)serialises as the source
/// text, so a config field of this type is validated while the config is read.
#[derive(Debug, Clone)]
pub struct Filter {
    source: String,
    expr: Expr,
}

impl Filter {
    pub fn parse(src: &str) -> Result<Filter, FilterError> {
        Ok(Filter {
            source: src.to_owned(),
            expr: parser::parse(src)?,
        })
    }

    /// The text the filter was parsed from, verbatim.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    pub fn matches(&self, doc: &FilterDoc) -> bool {
        self.expr.matches(doc)
    }

    /// Convenience for a single filter; with several, build one `FilterDoc` and reuse it.
    pub fn matches_entry(&self, entry: &RawEntry) -> bool {
        self.matches(&FilterDoc::from_entry(entry))
    }
}

/// The normalised form (see `Expr`'s `Display`), not the source.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl PartialEq for Filter {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Filter {}

impl serde::Serialize for Filter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> serde::Deserialize<'de> for Filter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let src = String::deserialize(d)?;
        Filter::parse(&src).map_err(serde::de::Error::custom)
    }
}

impl FromStr for Filter {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Filter::parse(s)
    }
}
