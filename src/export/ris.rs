//! RIS for Zotero, EndNote and Mendeley: `TAG  - value` lines ending in CRLF as the RIS
//! specification asks, one `AU` per author as "Family, Given", each record closed by `ER  - `.

use std::io::Write;

use super::{Record, WorkKind};

pub fn write(records: &[Record], out: &mut dyn Write) -> std::io::Result<()> {
    for r in records {
        write_one(r, out)?;
    }
    Ok(())
}

fn write_one(r: &Record, out: &mut dyn Write) -> std::io::Result<()> {
    let mut line = |tag: &str, value: &str| -> std::io::Result<()> {
        // RIS has no continuation lines: a value must stay on its one line.
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() && tag != "ER" {
            return Ok(());
        }
        write!(out, "{tag}  - {value}\r\n")
    };
    // Zotero imports JOUR as a journal article. A preprint is not one: UNPB ("unpublished
    // work") keeps it out of the peer-reviewed pile. A registration is a database
    // record: DBASE, with the registry in DB and the NCT id as accession number.
    let ty = match r.kind {
        WorkKind::Article => "JOUR",
        WorkKind::Preprint => "UNPB",
        WorkKind::TrialRegistration => "DBASE",
    };
    line("TY", ty)?;
    line("ID", &r.key)?;
    line("TI", &r.title)?;
    for a in &r.authors {
        line("AU", &a.inverted())?;
    }
    if let Some(j) = &r.journal {
        line("T2", j)?;
    }
    if let Some(y) = r.year {
        line("PY", &y.to_string())?;
    }
    if let Some((y, m, d)) = r.date_parts() {
        line("DA", &format!("{y:04}/{m:02}/{d:02}/"))?;
    }
    match r.kind {
        WorkKind::Preprint => line("M3", "Preprint")?,
        WorkKind::TrialRegistration => {
            line("M3", "Clinical trial registration")?;
            line("DB", "ClinicalTrials.gov")?;
        }
        WorkKind::Article => {}
    }
    let accession = match r.kind {
        WorkKind::TrialRegistration => r.nct_id.as_ref().or(r.pmid.as_ref()),
        _ => r.pmid.as_ref(),
    };
    if let Some(a) = accession {
        line("AN", a)?;
    }
    if let Some(p) = &r.pmcid {
        line("C2", p)?;
    }
    if let Some(n) = &r.retraction {
        line("N1", n)?;
    }
    if let (Some(n), false) = (&r.nct_id, r.kind == WorkKind::TrialRegistration) {
        line("N1", &format!("ClinicalTrials.gov: {n}"))?;
    }
    if let Some(d) = &r.doi {
        line("DO", d)?;
    }
    if let Some(u) = &r.url {
        line("UR", u)?;
    }
    if let Some(a) = &r.abstract_ {
        line("AB", a)?;
    }
    for k in &r.keywords {
        line("KW", k)?;
    }
    line("ER", "")
}
