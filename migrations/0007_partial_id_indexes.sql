-- ketlit schema v7: the identifier indexes hold only the identifiers a work has.

-- Most works lack some identifiers (a journal's table of contents gives no PMID or
-- PMCID, only registrations have an NCT id), and every NULL was still an index entry
-- written with each new work. Lookups are by value (`pmid = ?`), which implies NOT
-- NULL, so the partial indexes serve them alike; uniqueness is unchanged, as NULLs
-- never conflicted.
DROP INDEX entries_doi;
CREATE UNIQUE INDEX entries_doi ON entries(doi) WHERE doi IS NOT NULL;
DROP INDEX entries_pmid;
CREATE UNIQUE INDEX entries_pmid ON entries(pmid) WHERE pmid IS NOT NULL;
DROP INDEX entries_pmcid;
CREATE UNIQUE INDEX entries_pmcid ON entries(pmcid) WHERE pmcid IS NOT NULL;
DROP INDEX entries_nct;
CREATE INDEX entries_nct ON entries(nct_id) WHERE nct_id IS NOT NULL;
