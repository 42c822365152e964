-- Search (internal/intel): a terms column of filter tokens, indexed in the
-- same GIN indexes as the words, so that one index scan intersects a
-- search's words with its filters and with a slice of the newest reports
-- instead of handing the table thousands of matches to fetch and sort.
-- The tokens (internal/intel/search.go computes the same for a query;
-- keep the two in step; unlike SQLite's, they leave the credibility out,
-- which a sixth of the reports share: reading such long lists from the
-- index costs more than checking the rows it returns):
--
--   tw<N>, tq<N> the weeks (604800000000 microseconds) or quarters (13
--                weeks) the observed interval's start and end fall in, for
--                an interval of at most a week or a quarter; "tany" for a
--                longer one, "tnone" for none; a minus sign is written "m";
--   d<R>x<N>, e<R>x<N>, f<R>x<N>, g<R>x<N>
--                the doc number's blocks of 4,096, 32,768, 262,144 and
--                2,097,152 docs (doc >> 12, 15, 18, 21) within the report's
--                room (R: the room ID without its dashes): a search reads
--                the newest 8,192 reports first, then the 65,536 before
--                them, and so on by eights, each slice named by a few
--                blocks, and stops when its page is full; in a server that
--                also holds a large room, the other room's reports are not
--                even read from the index.
--
-- Each report keeps its room (room_id) for that.
--
-- The GiST index of observed intervals (0008) gives way to the tokens.
ALTER TABLE reports ADD COLUMN room_id TEXT NOT NULL DEFAULT '';
UPDATE reports SET room_id = items.room_id FROM items WHERE items.id = reports.item_id;
CREATE FUNCTION report_terms(room TEXT, doc BIGINT, s BIGINT, e BIGINT) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_to_tsvector(ARRAY[
      'd' || replace(room, '-', '') || 'x' || (doc >> 12), 'e' || replace(room, '-', '') || 'x' || (doc >> 15),
      'f' || replace(room, '-', '') || 'x' || (doc >> 18), 'g' || replace(room, '-', '') || 'x' || (doc >> 21)] || CASE
    WHEN s IS NULL OR e IS NULL THEN ARRAY['tnone']
    WHEN e - s <= 604800000000
      THEN ARRAY['tw' || replace((s / 604800000000)::text, '-', 'm'), 'tw' || replace((e / 604800000000)::text, '-', 'm')]
    WHEN e - s <= 7862400000000
      THEN ARRAY['tq' || replace((s / 7862400000000)::text, '-', 'm'), 'tq' || replace((e / 7862400000000)::text, '-', 'm')]
    ELSE ARRAY['tany']
  END)
$$;
ALTER TABLE reports ADD COLUMN terms tsvector GENERATED ALWAYS AS (report_terms(room_id, doc, observed_start, observed_end)) STORED;
DROP INDEX reports_observed;
DROP INDEX reports_tsv;
DROP INDEX reports_title_tsv;
CREATE INDEX reports_tsv ON reports USING gin (tsv, terms);
CREATE INDEX reports_title_tsv ON reports USING gin (title_tsv, terms);
