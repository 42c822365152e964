-- Operations, movements, notifications of protected sites, deconfliction
-- conflicts, the watch log and requests for information (internal/ops).
-- Times are integer microseconds (UTC).

CREATE TABLE operations (
  item_id         TEXT PRIMARY KEY REFERENCES items(id),
  name            TEXT NOT NULL,
  lead_partner_id TEXT NOT NULL REFERENCES partners(id),
  status          TEXT NOT NULL,
  area            TEXT NOT NULL,
  start_at        INTEGER NOT NULL,
  end_at          INTEGER NOT NULL,
  components      TEXT NOT NULL DEFAULT '[]',
  phases          TEXT NOT NULL DEFAULT '[]',
  round           INTEGER NOT NULL DEFAULT 0
);

-- Decisions of the room's authority on one proposal (round); a new
-- proposal starts a new round.
CREATE TABLE operation_decisions (
  operation_id TEXT NOT NULL REFERENCES operations(item_id),
  round        INTEGER NOT NULL,
  member_id    TEXT NOT NULL REFERENCES members(id),
  decision     TEXT NOT NULL,
  reason       TEXT NOT NULL DEFAULT '',
  at           INTEGER NOT NULL,
  PRIMARY KEY (operation_id, round, member_id)
);

-- Who did what to an item of this package, when and why: operations'
-- workflow and comments, notifications' submitted/seen/changed/withdrawn,
-- requests for information's answers, acceptances and reopenings.
CREATE TABLE ops_history (
  id          TEXT PRIMARY KEY,
  item_id     TEXT NOT NULL REFERENCES items(id),
  at          INTEGER NOT NULL,
  member_id   TEXT NOT NULL REFERENCES members(id),
  partner_id  TEXT NOT NULL REFERENCES partners(id),
  action      TEXT NOT NULL,
  from_status TEXT NOT NULL DEFAULT '',
  to_status   TEXT NOT NULL DEFAULT '',
  reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ops_history_item ON ops_history(item_id, id);
-- "seen by each partner": once per partner and item.
CREATE UNIQUE INDEX ops_history_seen ON ops_history(item_id, partner_id) WHERE action = 'seen';

CREATE TABLE movements (
  item_id        TEXT PRIMARY KEY REFERENCES items(id),
  purpose        TEXT NOT NULL,
  route          TEXT NOT NULL,
  corridor_width REAL NOT NULL DEFAULT 0,
  start_at       INTEGER NOT NULL,
  end_at         INTEGER NOT NULL,
  status         TEXT NOT NULL
);

-- A partner's notification that a site (an item of the picture) is
-- protected. A record, not a request for permission.
CREATE TABLE site_notices (
  item_id      TEXT PRIMARY KEY REFERENCES items(id),
  site_item_id TEXT NOT NULL REFERENCES items(id),
  note         TEXT NOT NULL DEFAULT '',
  status       TEXT NOT NULL
);
CREATE INDEX site_notices_site ON site_notices(site_item_id);

-- The deconfliction index: every operation area, phase area and movement
-- route that takes part in deconfliction, with its bounding box (the
-- R*Tree below) and window. active = 0 once it no longer takes part
-- (cancelled, completed, rejected, withdrawn).
CREATE TABLE ops_footprints (
  rid              INTEGER PRIMARY KEY,
  part_id          TEXT NOT NULL UNIQUE,
  item_id          TEXT NOT NULL REFERENCES items(id),
  room_id          TEXT NOT NULL REFERENCES rooms(id),
  owner_partner_id TEXT NOT NULL REFERENCES partners(id),
  kind             TEXT NOT NULL,
  label            TEXT NOT NULL DEFAULT '',
  geometry         TEXT NOT NULL,
  half_width       REAL NOT NULL DEFAULT 0,
  start_at         INTEGER NOT NULL,
  end_at           INTEGER NOT NULL,
  active           INTEGER NOT NULL,
  min_lon REAL NOT NULL, min_lat REAL NOT NULL, max_lon REAL NOT NULL, max_lat REAL NOT NULL
);
CREATE INDEX ops_footprints_item ON ops_footprints(item_id);

-- Space and time (hours since 1970) as an R*Tree; SQLite rounds its 32-bit
-- bounds outwards, so the tree finds a superset that the exact test trims.
CREATE VIRTUAL TABLE ops_footprint_rtree USING rtree(rid, min_lon, max_lon, min_lat, max_lat, min_h, max_h);
CREATE TRIGGER ops_footprints_ai AFTER INSERT ON ops_footprints WHEN NEW.active = 1 BEGIN
  INSERT INTO ops_footprint_rtree VALUES (NEW.rid, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat, NEW.start_at / 3600000000.0 - 1, NEW.end_at / 3600000000.0 + 1);
END;
CREATE TRIGGER ops_footprints_au AFTER UPDATE ON ops_footprints BEGIN
  DELETE FROM ops_footprint_rtree WHERE rid = OLD.rid;
  INSERT INTO ops_footprint_rtree SELECT NEW.rid, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat, NEW.start_at / 3600000000.0 - 1, NEW.end_at / 3600000000.0 + 1 WHERE NEW.active = 1;
END;
CREATE TRIGGER ops_footprints_ad AFTER DELETE ON ops_footprints BEGIN
  DELETE FROM ops_footprint_rtree WHERE rid = OLD.rid;
END;

-- A conflict: side a (the item whose change found it) overlaps side b in
-- space and time. part is the phase or '' for the whole item.
CREATE TABLE conflicts (
  item_id      TEXT PRIMARY KEY REFERENCES items(id),
  a_item_id    TEXT NOT NULL REFERENCES items(id),
  a_part       TEXT NOT NULL,
  a_kind       TEXT NOT NULL,
  a_partner_id TEXT NOT NULL REFERENCES partners(id),
  b_item_id    TEXT NOT NULL REFERENCES items(id),
  b_part       TEXT NOT NULL,
  b_kind       TEXT NOT NULL,
  b_partner_id TEXT NOT NULL REFERENCES partners(id),
  region       TEXT NOT NULL,
  start_at     INTEGER NOT NULL,
  end_at       INTEGER NOT NULL,
  status       TEXT NOT NULL,
  reason       TEXT NOT NULL DEFAULT '',
  resolved_by  TEXT REFERENCES members(id),
  resolved_at  INTEGER
);
CREATE INDEX conflicts_a ON conflicts(a_item_id, status);
CREATE INDEX conflicts_b ON conflicts(b_item_id, status);
CREATE UNIQUE INDEX conflicts_open_pair ON conflicts(a_item_id, a_part, b_item_id, b_part) WHERE status = 'open';

CREATE TABLE log_entries (
  item_id       TEXT PRIMARY KEY REFERENCES items(id),
  at            INTEGER NOT NULL,
  text          TEXT NOT NULL,
  automatic     INTEGER NOT NULL,
  source_kind   TEXT NOT NULL DEFAULT '',
  source_id     TEXT NOT NULL DEFAULT '',
  struck_at     INTEGER,
  struck_by     TEXT REFERENCES members(id),
  strike_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX log_entries_at ON log_entries(at, item_id);

CREATE TABLE rfis (
  item_id             TEXT PRIMARY KEY REFERENCES items(id),
  question            TEXT NOT NULL,
  assigned_partner_id TEXT NOT NULL REFERENCES partners(id),
  deadline            INTEGER NOT NULL,
  status              TEXT NOT NULL
);

CREATE TABLE rfi_answers (
  rfi_id     TEXT NOT NULL REFERENCES rfis(item_id),
  report_id  TEXT NOT NULL REFERENCES items(id),
  member_id  TEXT NOT NULL REFERENCES members(id),
  at         INTEGER NOT NULL,
  PRIMARY KEY (rfi_id, report_id)
);
