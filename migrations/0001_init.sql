-- ketlit schema v1: feeds and their fetch state, entries (one row per work),
-- sources (one row per sighting of a work in a feed), tags with evidence,
-- links between works, and the FTS5 index kept in sync by triggers.
-- Times are Unix seconds (UTC). Migrations are append-only: never edit a released file.

CREATE TABLE feeds (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    url                TEXT NOT NULL,            -- as configured
    kind               TEXT NOT NULL,
    enabled            INTEGER NOT NULL DEFAULT 1,
    in_config          INTEGER NOT NULL DEFAULT 1, -- 0 once removed from the config (rows kept for their sources)
    title              TEXT,                      -- from the last parsed document
    format             TEXT,
    etag               TEXT,                      -- verbatim validators
    last_modified      TEXT,
    last_fetch_at      INTEGER,
    last_success_at    INTEGER,
    last_status        TEXT,                      -- 'ok' | 'not-modified' | 'error'
    last_http_status   INTEGER,
    last_error         TEXT,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    next_due_at        INTEGER,
    next_due_reason    TEXT,
    entries_total      INTEGER NOT NULL DEFAULT 0, -- sightings stored from this feed
    filtered_out       INTEGER NOT NULL DEFAULT 0, -- entries refused by the feed's filter, all time
    created_at         INTEGER NOT NULL
);

CREATE TABLE entries (
    id               INTEGER PRIMARY KEY,
    doi              TEXT,
    pmid             TEXT,
    pmcid            TEXT,
    nct_id           TEXT,
    title            TEXT NOT NULL DEFAULT '',
    abstract         TEXT NOT NULL DEFAULT '',
    authors          TEXT NOT NULL DEFAULT '',   -- one name per line
    journal          TEXT NOT NULL DEFAULT '',
    link             TEXT,
    published_at     INTEGER,
    updated_at       INTEGER,
    first_seen_at    INTEGER NOT NULL,
    sort_at          INTEGER NOT NULL,            -- published_at, else first_seen_at: the list order
    categories       TEXT NOT NULL DEFAULT '[]',  -- JSON arrays
    mesh             TEXT NOT NULL DEFAULT '[]',
    publication_types TEXT NOT NULL DEFAULT '[]'
);
-- Whole-column indexes (NULLs are distinct in a UNIQUE index, so works without a DOI
-- coexist). Partial indexes (WHERE doi IS NOT NULL) would make SQLite re-prepare every
-- lookup whose bound value changes, which dominated ingest time.
CREATE UNIQUE INDEX entries_doi   ON entries(doi);
CREATE UNIQUE INDEX entries_pmid  ON entries(pmid);
CREATE UNIQUE INDEX entries_pmcid ON entries(pmcid);
CREATE INDEX entries_nct  ON entries(nct_id);
CREATE INDEX entries_sort ON entries(sort_at DESC, id DESC);

CREATE TABLE sources (
    id            INTEGER PRIMARY KEY,
    entry_id      INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    feed_id       INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    guid          TEXT NOT NULL,                 -- the feed's key: guid, else link, else a stable hash
    link          TEXT,
    content_hash  TEXT NOT NULL,                 -- detects an updated sighting
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    UNIQUE (feed_id, guid)
);
CREATE INDEX sources_entry ON sources(entry_id);

CREATE TABLE tags (
    entry_id   INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    tag        TEXT NOT NULL,
    field      TEXT,                              -- evidence: where,
    phrase     TEXT,                              -- what,
    span_start INTEGER,                           -- and at which byte offsets
    span_end   INTEGER,
    PRIMARY KEY (entry_id, tag)
) WITHOUT ROWID;
CREATE INDEX tags_tag ON tags(tag, entry_id);

CREATE TABLE links (
    from_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    rel     TEXT NOT NULL,                        -- preprint-of | published-as | registration-of | reported-by
    to_id   INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    PRIMARY KEY (from_id, rel, to_id)
) WITHOUT ROWID;

-- Full-text index over title, abstract, authors and journal. Contentless (the text
-- lives in `entries` only) with deletes by rowid. FTS5 flushes its pending index data at
-- every statement that follows a write to it, so writing it row by row from triggers
-- makes one tiny segment per entry. Instead the triggers queue changed rows in
-- `fts_pending`, and every write transaction indexes the queue in bulk just before it
-- commits (Store::write): readers never see the two out of step.
CREATE VIRTUAL TABLE entries_fts USING fts5(
    title, abstract, authors, journal,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE fts_pending (id INTEGER PRIMARY KEY);

CREATE TRIGGER entries_fts_ai AFTER INSERT ON entries BEGIN
    INSERT OR IGNORE INTO fts_pending (id) VALUES (new.id);
END;
CREATE TRIGGER entries_fts_ad AFTER DELETE ON entries BEGIN
    INSERT OR IGNORE INTO fts_pending (id) VALUES (old.id);
END;
-- Only the indexed columns: bookkeeping updates must not churn the index.
CREATE TRIGGER entries_fts_au AFTER UPDATE OF title, abstract, authors, journal ON entries BEGIN
    INSERT OR IGNORE INTO fts_pending (id) VALUES (new.id);
END;
