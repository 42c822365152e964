-- Intelligence (internal/intel): sources with their grade history, reports
-- with their versions, provenance links, claims about events and the
-- reports behind them. Sources, reports and claims are items rows plus
-- their own table. Times are integer microseconds (UTC).

CREATE TABLE sources (
  item_id     TEXT PRIMARY KEY REFERENCES items(id),
  source_kind TEXT NOT NULL,
  behind      TEXT NOT NULL DEFAULT '',
  partner_id  TEXT REFERENCES partners(id),
  cited_by    TEXT REFERENCES items(id),
  reliability TEXT NOT NULL
);

CREATE TABLE source_grades (
  source_id   TEXT NOT NULL REFERENCES items(id),
  seq         INTEGER NOT NULL,
  reliability TEXT NOT NULL,
  reason      TEXT NOT NULL DEFAULT '',
  graded_by   TEXT NOT NULL REFERENCES members(id),
  graded_at   BIGINT NOT NULL,
  PRIMARY KEY (source_id, seq)
);

-- doc mirrors SQLite's full-text row id so both engines share the insert.
-- tsv is the full-text vector (title weighted above body), GIN-indexed.
CREATE TABLE reports (
  item_id        TEXT PRIMARY KEY REFERENCES items(id),
  doc            BIGINT NOT NULL UNIQUE,
  source_id      TEXT NOT NULL REFERENCES items(id),
  editor         TEXT NOT NULL REFERENCES members(id), -- who wrote this version
  credibility    INTEGER NOT NULL,
  title          TEXT NOT NULL,
  body           TEXT NOT NULL,
  observed_start BIGINT,
  observed_end   BIGINT,
  reported_at    BIGINT,
  places         TEXT NOT NULL DEFAULT '[]',
  min_lon        DOUBLE PRECISION,
  min_lat        DOUBLE PRECISION,
  max_lon        DOUBLE PRECISION,
  max_lat        DOUBLE PRECISION,
  tsv            tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')) STORED
);
CREATE INDEX reports_source ON reports(source_id);
CREATE INDEX reports_tsv ON reports USING gin (tsv);

CREATE TABLE report_versions (
  report_id      TEXT NOT NULL REFERENCES items(id),
  version        INTEGER NOT NULL,
  title          TEXT NOT NULL,
  body           TEXT NOT NULL,
  source_id      TEXT NOT NULL,
  credibility    INTEGER NOT NULL,
  observed_start BIGINT,
  observed_end   BIGINT,
  reported_at    BIGINT,
  places         TEXT NOT NULL,
  marking        TEXT NOT NULL,              -- as the API showed it
  policy         TEXT NOT NULL,              -- the policy's form (IDs), checked with access.CanSee
  edited_by      TEXT NOT NULL REFERENCES members(id),
  edited_at      BIGINT NOT NULL,
  PRIMARY KEY (report_id, version)
);

CREATE TABLE report_links (
  report_id  TEXT NOT NULL REFERENCES items(id),
  target_id  TEXT NOT NULL REFERENCES items(id),
  kind       TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES members(id),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (report_id, target_id)
);
CREATE INDEX report_links_target ON report_links(target_id, report_id);

CREATE TABLE claims (
  item_id     TEXT PRIMARY KEY REFERENCES items(id),
  event_id    TEXT NOT NULL REFERENCES items(id),
  actor       TEXT NOT NULL,
  proposition TEXT NOT NULL,
  stance      TEXT NOT NULL,
  statement   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX claims_event ON claims(event_id, proposition);

CREATE TABLE claim_reports (
  claim_id  TEXT NOT NULL REFERENCES items(id),
  report_id TEXT NOT NULL REFERENCES items(id),
  role      TEXT NOT NULL,
  PRIMARY KEY (claim_id, report_id)
);
CREATE INDEX claim_reports_report ON claim_reports(report_id);
