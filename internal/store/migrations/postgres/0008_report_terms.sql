-- Search (internal/intel): a GiST index over each report's observed
-- interval, so that a search with a word and an observed window combines
-- the full-text GIN index with this one (a bitmap AND) instead of reading
-- every report holding the word. (SQLite's 0008 adds filter tokens to its
-- full-text index for the same purpose.)
CREATE INDEX reports_observed ON reports USING gist (int8range(observed_start, observed_end, '[]'));
