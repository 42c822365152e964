-- Search (internal/intel): the full-text index gets a third column, terms,
-- holding filter tokens computed from the report (its credibility, "c1" to
-- "c6", and the weeks or quarters its observed interval touches), so that
-- a search with a word and a selective filter intersects both inside the
-- index instead of reading every report holding the word. The tokens only
-- narrow the candidates: the filters themselves are still applied exactly.
-- internal/intel/search.go computes the same tokens for a query; keep the
-- two in step.
--
-- Weeks are 604800000000 microseconds, quarters 13 weeks; an interval of
-- at most a week has the tokens of the weeks its start and end fall in
-- ("tw2345 tw2346"), one of at most a quarter those of its quarters, a
-- longer one "tany", and none "tnone". A minus sign is written "m" (the
-- tokenizer would split on it).
ALTER TABLE reports ADD COLUMN terms TEXT GENERATED ALWAYS AS (
  'c' || credibility || ' ' ||
  CASE
    WHEN observed_start IS NULL OR observed_end IS NULL THEN 'tnone'
    WHEN observed_end - observed_start <= 604800000000
      THEN 'tw' || replace(observed_start / 604800000000, '-', 'm') || ' tw' || replace(observed_end / 604800000000, '-', 'm')
    WHEN observed_end - observed_start <= 7862400000000
      THEN 'tq' || replace(observed_start / 7862400000000, '-', 'm') || ' tq' || replace(observed_end / 7862400000000, '-', 'm')
    ELSE 'tany'
  END) VIRTUAL;

DROP TRIGGER reports_fts_update;
DROP TABLE report_fts;
CREATE VIRTUAL TABLE report_fts USING fts5(title, body, terms, content='reports', content_rowid='doc', tokenize='porter unicode61');
INSERT INTO report_fts(report_fts) VALUES ('rebuild');
CREATE TRIGGER reports_fts_update AFTER UPDATE OF title, body, credibility, observed_start, observed_end ON reports BEGIN
  INSERT INTO report_fts(report_fts, rowid, title, body, terms) VALUES ('delete', old.doc, old.title, old.body, old.terms);
  INSERT INTO report_fts(rowid, title, body, terms) VALUES (new.doc, new.title, new.body, new.terms);
END;
