-- Search (internal/intel): a GiST index over each report's observed
-- interval, so that a search with a word and an observed window combines
-- the full-text GIN index with this one (a bitmap AND) instead of reading
-- every report holding the word; and the title's own tsvector, so that
-- the planner knows how many reports hold a word in their title (search
-- ranks those first) and picks the GIN index for a rare one but the doc
-- order for a common one. (SQLite's 0008 adds filter tokens to its
-- full-text index for the same purpose.)
CREATE INDEX reports_observed ON reports USING gist (int8range(observed_start, observed_end, '[]'));
ALTER TABLE reports ADD COLUMN title_tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', title)) STORED;
CREATE INDEX reports_title_tsv ON reports USING gin (title_tsv);
