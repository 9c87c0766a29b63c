-- ketlit schema v3: API sources.

-- An interrupted `fetch --since` continues where it stopped: the window it was asked
-- for and the source's token after the last committed page.
ALTER TABLE feeds ADD COLUMN backfill_from TEXT;   -- YYYY-MM-DD
ALTER TABLE feeds ADD COLUMN backfill_to TEXT;     -- YYYY-MM-DD
ALTER TABLE feeds ADD COLUMN backfill_resume TEXT; -- opaque; NULL before the first page

-- Links between works learnt by DOI (a preprint and its journal version), kept until
-- both ends are stored and then turned into rows of `links`.
CREATE TABLE doi_links (
    from_doi TEXT NOT NULL,
    rel      TEXT NOT NULL,          -- 'published-as': from_doi (preprint) became to_doi
    to_doi   TEXT NOT NULL,
    PRIMARY KEY (from_doi, rel, to_doi)
) WITHOUT ROWID;
CREATE INDEX doi_links_to ON doi_links(to_doi);
