//! Personal names as the sources write them ("Reif A", "Alice B. Smith", "Smith, J.",
//! "van der Berg JA", "NIMH Ketamine Study Group") split into family and given parts.

use serde::Serialize;

/// One author: a person (family, given, particle) or a collective name kept whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Name {
    Person {
        family: String,
        #[serde(skip_serializing_if = "String::is_empty")]
        given: String,
        /// "van der" in "Jan van der Berg"; kept apart because CSL sorts on it separately.
        #[serde(
            rename = "non-dropping-particle",
            skip_serializing_if = "String::is_empty"
        )]
        particle: String,
    },
    Literal {
        literal: String,
    },
}

/// Lower-case words that belong to the family name when they precede it.
const PARTICLES: &[&str] = &[
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du", "la", "le",
    "ter", "ten", "bin", "al", "el", "y", "zu", "af", "st",
];

/// Words that mark a group rather than a person.
const COLLECTIVE: &[&str] = &[
    "group",
    "consortium",
    "committee",
    "investigators",
    "collaborat",
    "network",
    "society",
    "association",
    "study",
    "team",
    "trial",
    "institute",
    "university",
    "foundation",
    "organi",
    "centre",
    "center",
    "working",
    "council",
    "program",
    "initiative",
    "panel",
    "task force",
    "writing",
    " for ",
    " on behalf",
];

/// Degrees and honours that registries append after a comma ("Raymond F Anton, MD").
const DEGREES: &[&str] = &[
    "md", "phd", "msc", "ms", "ma", "mph", "mbbs", "mbchb", "do", "rn", "bsn", "pharmd", "psyd",
    "drph", "frcpc", "frcp", "frcpsych", "mrcpsych", "dphil", "mba", "msn", "np", "crna", "lcsw",
    "aprn", "dds", "dmd", "dnp", "bsc", "ba", "bs", "facp", "fapa", "mhs", "mscr",
];

fn is_degree(segment: &str) -> bool {
    let s: String = segment
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect::<String>()
        .to_lowercase();
    DEGREES.contains(&s.as_str())
}

impl Name {
    /// Splits one author string. Never fails: what cannot be read as a person stays whole.
    pub fn parse(raw: &str) -> Name {
        let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let s = s.trim_matches(|c: char| c == ',' || c == ';').trim();
        let lower = format!(" {} ", s.to_lowercase());
        if s.is_empty()
            || COLLECTIVE.iter().any(|w| lower.contains(w))
            || s.split(' ').count() > 6
            || s.chars().any(|c| c.is_ascii_digit())
        {
            return Name::Literal {
                literal: s.to_string(),
            };
        }
        let mut s = s;
        while let Some((head, tail)) = s.rsplit_once(',') {
            if !is_degree(tail) || !head.trim().contains(' ') {
                break;
            }
            s = head.trim();
        }
        // "Smith, J." / "van der Berg, Jan" / "Smith, JA": the comma says where the family name ends.
        if let Some((family, given)) = s.split_once(',') {
            let (family, given) = (family.trim(), given.trim());
            if !family.is_empty() && !given.is_empty() && !given.contains(',') {
                if is_initials(given) {
                    return person(family, &expand_initials(given));
                }
                return person(family, given);
            }
        }
        let words: Vec<&str> = s.split(' ').collect();
        if words.len() == 1 {
            return person(words[0], "");
        }
        let last = words[words.len() - 1];
        // PubMed's "Reif A", "van der Berg JA", "Li J-P": family first, initials last.
        if is_initials(last) {
            return person(&words[..words.len() - 1].join(" "), &expand_initials(last));
        }
        // "Alice B. Smith", "Jan van der Berg": the family name is the last word and
        // any lower-case particles before it.
        let mut start = words.len() - 1;
        while start > 1 && PARTICLES.contains(&words[start - 1]) {
            start -= 1;
        }
        person(&words[start..].join(" "), &words[..start].join(" "))
    }

    /// "Family, Given" (RIS, BibTeX, CSV) or the literal name.
    pub fn inverted(&self) -> String {
        match self {
            Name::Person { given, .. } if given.is_empty() => self.family_full(),
            Name::Person { given, .. } => format!("{}, {given}", self.family_full()),
            Name::Literal { literal } => literal.clone(),
        }
    }

    /// The family name with its particle: "van der Berg".
    pub fn family_full(&self) -> String {
        match self {
            Name::Person {
                family, particle, ..
            } if !particle.is_empty() => format!("{particle} {family}"),
            Name::Person { family, .. } => family.clone(),
            Name::Literal { literal } => literal.clone(),
        }
    }
}

fn person(family: &str, given: &str) -> Name {
    let words: Vec<&str> = family.split(' ').collect();
    let n = words
        .iter()
        .take(words.len().saturating_sub(1))
        .take_while(|w| PARTICLES.contains(w))
        .count();
    Name::Person {
        family: words[n..].join(" "),
        given: given.to_string(),
        particle: words[..n].join(" "),
    }
}

/// "A", "JA", "J-P", "J.A.", "J. A": up to three upper-case letters, nothing else
/// but dots and hyphens.
fn is_initials(w: &str) -> bool {
    let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
    !letters.is_empty()
        && letters.len() <= 3
        && letters.iter().all(|c| c.is_uppercase())
        && w.chars().all(|c| c.is_alphabetic() || c == '.' || c == '-')
}

/// "JA" → "J. A.", "J-P" → "J.-P.": citation styles then abbreviate them properly.
fn expand_initials(w: &str) -> String {
    let mut out = String::new();
    for c in w.chars() {
        if c.is_alphabetic() {
            if !out.is_empty() && !out.ends_with('-') {
                out.push(' ');
            }
            out.push(c);
            out.push('.');
        } else if c == '-' {
            out.push('-');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(family: &str, given: &str, particle: &str) -> Name {
        Name::Person {
            family: family.into(),
            given: given.into(),
            particle: particle.into(),
        }
    }

    #[test]
    fn splits_the_shapes_the_sources_use() {
        assert_eq!(Name::parse("Reif A"), p("Reif", "A.", ""));
        assert_eq!(Name::parse("Daly EJ"), p("Daly", "E. J.", ""));
        assert_eq!(Name::parse("Li J-P"), p("Li", "J.-P.", ""));
        assert_eq!(Name::parse("Alice B. Smith"), p("Smith", "Alice B.", ""));
        assert_eq!(Name::parse("Smith, J."), p("Smith", "J.", ""));
        assert_eq!(Name::parse("Jan van der Berg"), p("Berg", "Jan", "van der"));
        assert_eq!(
            Name::parse("van der Berg JA"),
            p("Berg", "J. A.", "van der")
        );
        assert_eq!(
            Name::parse("van der Berg, Jan"),
            p("Berg", "Jan", "van der")
        );
        assert_eq!(Name::parse("Müller K"), p("Müller", "K.", ""));
        assert_eq!(
            Name::parse("José María García-López"),
            p("García-López", "José María", "")
        );
        assert_eq!(Name::parse("Plato"), p("Plato", "", ""));
        assert_eq!(
            Name::parse("Raymond F Anton, MD"),
            p("Anton", "Raymond F", "")
        );
        assert_eq!(Name::parse("Jane Doe, M.D., Ph.D."), p("Doe", "Jane", ""));
        assert_eq!(Name::parse("Doe, MD"), p("Doe", "M. D.", ""));
        assert_eq!(
            Name::parse("NIMH Ketamine Study Group"),
            Name::Literal {
                literal: "NIMH Ketamine Study Group".into()
            }
        );
        assert_eq!(
            Name::parse("  Esketamine   TRD Investigators "),
            Name::Literal {
                literal: "Esketamine TRD Investigators".into()
            }
        );
    }

    #[test]
    fn inverted_keeps_particles_with_the_family() {
        assert_eq!(
            Name::parse("Jan van der Berg").inverted(),
            "van der Berg, Jan"
        );
        assert_eq!(Name::parse("Reif A").inverted(), "Reif, A.");
        assert_eq!(Name::parse("Plato").inverted(), "Plato");
    }
}
