-- An update logs an entry for the search index only when its indexed text changed.
-- `AFTER UPDATE OF` fires whenever those columns are assigned, and a merge writes a
-- work's every column back: most merges only add an identifier, a link or a list
-- item, and each had the index thread delete and re-add the work's postings.
DROP TRIGGER entries_fts_au;
CREATE TRIGGER entries_fts_au AFTER UPDATE OF title, abstract, authors, journal ON entries
WHEN old.title IS NOT new.title OR old.abstract IS NOT new.abstract
  OR old.authors IS NOT new.authors OR old.journal IS NOT new.journal
BEGIN
    INSERT INTO fts_log (id) VALUES (new.id);
END;
