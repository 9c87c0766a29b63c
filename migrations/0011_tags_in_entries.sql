-- ketlit schema v11: a work's tags live in its row, `entries.tags`, and the `tags`
-- table goes.

-- One line per tag, in display order (conditions first, in a fixed order, then the
-- `drug:` and `type:` tags by name): tag TAB field TAB start TAB end TAB phrase, a
-- part left empty when unknown. A work has six tags on average; as rows of a table
-- of their own they were a tenth of the database and a quarter of the writer's work
-- in a large pass. Every read of tags goes by work (`show`, `list`, `export`) or over
-- all works (`stats`, and `list --tag`, which walks the works newest first), and
-- reads the work's row in any case.
ALTER TABLE entries ADD COLUMN tags TEXT NOT NULL DEFAULT '';

UPDATE entries SET tags = (
    SELECT group_concat(
        replace(replace(replace(t.tag, char(9), ' '), char(10), ' '), char(13), ' ')
        || char(9) || replace(replace(replace(coalesce(t.field, ''), char(9), ' '), char(10), ' '), char(13), ' ')
        || char(9) || CASE WHEN t.span_start IS NULL OR t.span_end IS NULL THEN ''
                           ELSE t.span_start || char(9) || t.span_end END
        || CASE WHEN t.span_start IS NULL OR t.span_end IS NULL THEN char(9) ELSE '' END
        || char(9) || replace(replace(replace(coalesce(t.phrase, ''), char(9), ' '), char(10), ' '), char(13), ' '),
        char(10)
        ORDER BY instr(t.tag, ':') > 0,
                 CASE t.tag WHEN 'trd' THEN 0 WHEN 'ptsd' THEN 1 WHEN 'ocd' THEN 2
                      WHEN 'anxiety' THEN 3 WHEN 'depression' THEN 4 WHEN 'bipolar' THEN 5
                      WHEN 'suicidality' THEN 6 WHEN 'substance-use' THEN 7 ELSE 8 END,
                 t.tag)
    FROM tags t WHERE t.entry_id = entries.id
)
WHERE id IN (SELECT entry_id FROM tags);

DROP TABLE tags;
