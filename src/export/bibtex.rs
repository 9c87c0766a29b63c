//! BibTeX/biblatex: `@article` for journal papers, `@misc` for preprints and trial
//! registrations, LaTeX specials escaped, UTF-8 kept as is (biblatex, biber and pandoc
//! read it), and words with inner capitals braced so styles do not lower-case "TRD".

use std::io::Write;

use super::{Name, Record, WorkKind};

pub fn write(records: &[Record], out: &mut dyn Write) -> std::io::Result<()> {
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        write_one(r, out)?;
    }
    Ok(())
}

fn write_one(r: &Record, out: &mut dyn Write) -> std::io::Result<()> {
    let ty = match r.kind {
        WorkKind::Article => "article",
        WorkKind::Preprint | WorkKind::TrialRegistration => "misc",
    };
    writeln!(out, "@{ty}{{{},", r.key)?;
    let mut field = |name: &str, value: String| -> std::io::Result<()> {
        writeln!(out, "  {name:<9} = {{{value}}},")
    };
    field("title", title(&r.title))?;
    if !r.authors.is_empty() {
        let names: Vec<String> = r.authors.iter().map(author).collect();
        field("author", names.join(" and "))?;
    }
    match (r.kind, &r.journal) {
        (WorkKind::Article, Some(j)) => field("journal", escape(j))?,
        (_, Some(j)) => field("howpublished", escape(j))?,
        _ => {}
    }
    if let Some(y) = r.year {
        field("year", y.to_string())?;
    }
    if let Some((_, m, _)) = r.date_parts() {
        field("month", m.to_string())?;
    }
    if let Some(d) = &r.date {
        field("date", d.clone())?;
    }
    let kind_note = match r.kind {
        WorkKind::Preprint => Some("Preprint".to_string()),
        WorkKind::TrialRegistration => {
            let n = r.nct_id.as_deref().unwrap_or_default();
            Some(format!("ClinicalTrials.gov registration {n}"))
        }
        WorkKind::Article => None,
    };
    // One note field: a retraction first, then what kind of work it is.
    let note = match (&r.retraction, kind_note) {
        (Some(ret), Some(k)) => Some(format!("{ret}. {k}")),
        (Some(ret), None) => Some(ret.clone()),
        (None, k) => k,
    };
    if let Some(n) = note {
        field("note", escape(&n))?;
    }
    // DOIs and URLs are verbatim fields: escaping would change them.
    if let Some(d) = &r.doi {
        field("doi", verbatim(d))?;
    }
    if let Some(u) = &r.url {
        field("url", verbatim(u))?;
    }
    if let Some(p) = &r.pmid {
        field("pmid", escape(p))?;
    }
    if let Some(p) = &r.pmcid {
        field("pmcid", escape(p))?;
    }
    if let Some(n) = &r.nct_id {
        field("nct", escape(n))?;
    }
    if let Some(a) = &r.abstract_ {
        field("abstract", escape(a))?;
    }
    if !r.keywords.is_empty() {
        field("keywords", escape(&r.keywords.join(", ")))?;
    }
    writeln!(out, "}}")
}

/// "Family, Given", with particles left lower-case so BibTeX sees them as the von part;
/// a collective name is braced whole so it is never split into first and last names.
fn author(n: &Name) -> String {
    match n {
        Name::Literal { literal } => format!("{{{}}}", escape(literal)),
        // A comma or "and" inside a name would split it: brace the family part.
        Name::Person { .. } => {
            let family = n.family_full();
            let given = match n {
                Name::Person { given, .. } => given.as_str(),
                _ => "",
            };
            let fam = if family.contains(" and ") || family.contains(',') {
                format!("{{{}}}", escape(&family))
            } else {
                escape(&family)
            };
            if given.is_empty() {
                fam
            } else {
                format!("{fam}, {}", escape(given))
            }
        }
    }
}

/// Escapes a title and braces words a style must not lower-case: acronyms (TRD, NMDA),
/// and words with a capital after the first letter (mRNA, iPSC, McLean).
fn title(t: &str) -> String {
    t.split(' ')
        .map(|w| {
            let protect = w.chars().skip(1).any(|c| c.is_uppercase());
            let e = escape(w);
            if protect { format!("{{{e}}}") } else { e }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// LaTeX's special characters made literal; everything else (UTF-8 included) kept.
pub fn escape(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '%' | '&' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            _ => out.push(c),
        }
    }
    out
}

/// A verbatim field can hold anything but unbalanced braces; drop those.
fn verbatim(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '{' | '}')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_latex_specials_and_keeps_utf8() {
        assert_eq!(
            escape(r"50% & $5 #1 a_b ~x^2 \n {x} Müller"),
            r"50\% \& \$5 \#1 a\_b \textasciitilde{}x\textasciicircum{}2 \textbackslash{}n \{x\} Müller"
        );
        assert_eq!(
            title("Esketamine in TRD and mRNA"),
            "Esketamine in {TRD} and {mRNA}"
        );
    }

    #[test]
    fn authors_keep_particles_and_groups() {
        assert_eq!(
            author(&Name::parse("Jan van der Berg")),
            "van der Berg, Jan"
        );
        assert_eq!(
            author(&Name::parse("Ketamine & PTSD Study Group")),
            r"{Ketamine \& PTSD Study Group}"
        );
    }
}
