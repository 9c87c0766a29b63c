-- ketlit schema v8: no index of tags by name.

-- Every read of `tags` goes by work: `list --tag` walks the works newest first and
-- looks each one's tags up by the primary key (entry_id, tag), and the counts of
-- `stats` scan the whole table, which takes as long without the index. So no query
-- used `tags_tag`, yet keeping it up to date was twelve percent of the writer's work
-- in a large pass: new rows land in the middle of it, one run per tag, where every
-- insert seeks from the root and full pages split in two. Should a query ever need
-- the works of one tag without walking the others, an index can come back then.
DROP INDEX tags_tag;
