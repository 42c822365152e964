-- Search (internal/intel): a terms column of filter tokens, indexed in the
-- same GIN indexes as the words, so that one index scan intersects a
-- search's words with its filters and with a slice of the newest reports
-- instead of handing the table thousands of matches to fetch and sort.
-- The tokens (internal/intel/search.go computes the same for a query;
-- keep the two in step):
--
--   c1 .. c6     the credibility;
--   tw<N>, tq<N> the weeks (604800000000 microseconds) or quarters (13
--                weeks) the observed interval's start and end fall in, for
--                an interval of at most a week or a quarter; "tany" for a
--                longer one, "tnone" for none; a minus sign is written "m";
--   d<N>, e<N>, f<N>, g<N>
--                the doc number's blocks of 4,096, 32,768, 262,144 and
--                2,097,152 docs (doc >> 12, 15, 18, 21): a search reads the
--                newest 8,192 reports first, then the 65,536 before them,
--                and so on by eights, each slice named by a few blocks, and
--                stops when its page is full.
--
-- The GiST index of observed intervals (0008) gives way to the tokens.
CREATE FUNCTION report_terms(doc BIGINT, credibility INTEGER, s BIGINT, e BIGINT) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_to_tsvector(ARRAY['c' || credibility, 'd' || (doc >> 12), 'e' || (doc >> 15), 'f' || (doc >> 18), 'g' || (doc >> 21)] || CASE
    WHEN s IS NULL OR e IS NULL THEN ARRAY['tnone']
    WHEN e - s <= 604800000000
      THEN ARRAY['tw' || replace((s / 604800000000)::text, '-', 'm'), 'tw' || replace((e / 604800000000)::text, '-', 'm')]
    WHEN e - s <= 7862400000000
      THEN ARRAY['tq' || replace((s / 7862400000000)::text, '-', 'm'), 'tq' || replace((e / 7862400000000)::text, '-', 'm')]
    ELSE ARRAY['tany']
  END)
$$;
ALTER TABLE reports ADD COLUMN terms tsvector GENERATED ALWAYS AS (report_terms(doc, credibility, observed_start, observed_end)) STORED;
DROP INDEX reports_observed;
DROP INDEX reports_tsv;
DROP INDEX reports_title_tsv;
CREATE INDEX reports_tsv ON reports USING gin (tsv, terms);
CREATE INDEX reports_title_tsv ON reports USING gin (title_tsv, terms);
