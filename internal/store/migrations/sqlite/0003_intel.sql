-- Intelligence (internal/intel): sources with their grade history, reports
-- with their versions, provenance links, claims about events and the
-- reports behind them. Sources, reports and claims are items rows plus
-- their own table. Times are integer microseconds (UTC).

CREATE TABLE sources (
  item_id     TEXT PRIMARY KEY REFERENCES items(id),
  source_kind TEXT NOT NULL,
  behind      TEXT NOT NULL DEFAULT '',          -- the outlet or organization behind it, as named
  partner_id  TEXT REFERENCES partners(id),      -- when a room partner is behind it
  cited_by    TEXT REFERENCES items(id),         -- the outlet source citing an unnamed source
  reliability TEXT NOT NULL
);

-- Every grade a source has had, oldest first; the current one is also in
-- sources.reliability.
CREATE TABLE source_grades (
  source_id   TEXT NOT NULL REFERENCES items(id),
  seq         INTEGER NOT NULL,
  reliability TEXT NOT NULL,
  reason      TEXT NOT NULL DEFAULT '',
  graded_by   TEXT NOT NULL REFERENCES members(id),
  graded_at   INTEGER NOT NULL,
  PRIMARY KEY (source_id, seq)
) WITHOUT ROWID;

-- doc is the full-text index's integer row id: a stable integer (the
-- table's own rowid may change on VACUUM), assigned by the service.
CREATE TABLE reports (
  item_id        TEXT PRIMARY KEY REFERENCES items(id),
  doc            INTEGER NOT NULL UNIQUE,
  source_id      TEXT NOT NULL REFERENCES items(id),
  editor         TEXT NOT NULL REFERENCES members(id), -- who wrote this version
  credibility    INTEGER NOT NULL,
  title          TEXT NOT NULL,
  body           TEXT NOT NULL,
  observed_start INTEGER,
  observed_end   INTEGER,
  reported_at    INTEGER,
  places         TEXT NOT NULL DEFAULT '[]',
  min_lon        REAL,
  min_lat        REAL,
  max_lon        REAL,
  max_lat        REAL
);
CREATE INDEX reports_source ON reports(source_id);

-- External-content FTS5 index over reports(title, body). New reports are
-- added by the service in one statement per transaction, just before it
-- commits (FTS5 flushes its pending terms at every statement's savepoint,
-- so a row-by-row trigger would make bulk imports several times slower);
-- edits are kept in step by the trigger.
CREATE VIRTUAL TABLE report_fts USING fts5(title, body, content='reports', content_rowid='doc', tokenize='porter unicode61');
CREATE TRIGGER reports_fts_update AFTER UPDATE OF title, body ON reports BEGIN
  INSERT INTO report_fts(report_fts, rowid, title, body) VALUES ('delete', old.doc, old.title, old.body);
  INSERT INTO report_fts(rowid, title, body) VALUES (new.doc, new.title, new.body);
END;

-- The earlier versions of a report, each as it was before an edit. A
-- version is shown only to those its own marking lets see it.
CREATE TABLE report_versions (
  report_id      TEXT NOT NULL REFERENCES items(id),
  version        INTEGER NOT NULL,
  title          TEXT NOT NULL,
  body           TEXT NOT NULL,
  source_id      TEXT NOT NULL,
  credibility    INTEGER NOT NULL,
  observed_start INTEGER,
  observed_end   INTEGER,
  reported_at    INTEGER,
  places         TEXT NOT NULL,
  marking        TEXT NOT NULL,              -- as the API showed it
  policy         TEXT NOT NULL,              -- the policy's form (IDs), checked with access.CanSee
  edited_by      TEXT NOT NULL REFERENCES members(id),
  edited_at      INTEGER NOT NULL,
  PRIMARY KEY (report_id, version)
) WITHOUT ROWID;

-- report_id repeats or cites target_id (the earlier report).
CREATE TABLE report_links (
  report_id  TEXT NOT NULL REFERENCES items(id),
  target_id  TEXT NOT NULL REFERENCES items(id),
  kind       TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES members(id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (report_id, target_id)
) WITHOUT ROWID;
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

-- role is 'supporting' or 'disputing'.
CREATE TABLE claim_reports (
  claim_id  TEXT NOT NULL REFERENCES items(id),
  report_id TEXT NOT NULL REFERENCES items(id),
  role      TEXT NOT NULL,
  PRIMARY KEY (claim_id, report_id)
) WITHOUT ROWID;
CREATE INDEX claim_reports_report ON claim_reports(report_id);
