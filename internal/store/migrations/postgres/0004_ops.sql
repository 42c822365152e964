-- Operations, movements, notifications of protected sites, deconfliction
-- conflicts, the watch log and requests for information (internal/ops).
-- Times are integer microseconds (UTC).

CREATE TABLE operations (
  item_id         TEXT PRIMARY KEY REFERENCES items(id),
  name            TEXT NOT NULL,
  lead_partner_id TEXT NOT NULL REFERENCES partners(id),
  status          TEXT NOT NULL,
  area            TEXT NOT NULL,
  start_at        BIGINT NOT NULL,
  end_at          BIGINT NOT NULL,
  components      TEXT NOT NULL DEFAULT '[]',
  phases          TEXT NOT NULL DEFAULT '[]',
  round           BIGINT NOT NULL DEFAULT 0
);

-- Decisions of the room's authority on one proposal (round); a new
-- proposal starts a new round.
CREATE TABLE operation_decisions (
  operation_id TEXT NOT NULL REFERENCES operations(item_id),
  round        BIGINT NOT NULL,
  member_id    TEXT NOT NULL REFERENCES members(id),
  decision     TEXT NOT NULL,
  reason       TEXT NOT NULL DEFAULT '',
  at           BIGINT NOT NULL,
  PRIMARY KEY (operation_id, round, member_id)
);

-- Who did what to an item of this package, when and why: operations'
-- workflow and comments, notifications' submitted/seen/changed/withdrawn,
-- requests for information's answers, acceptances and reopenings.
CREATE TABLE ops_history (
  id          TEXT PRIMARY KEY,
  item_id     TEXT NOT NULL REFERENCES items(id),
  at          BIGINT NOT NULL,
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
  corridor_width DOUBLE PRECISION NOT NULL DEFAULT 0,
  start_at       BIGINT NOT NULL,
  end_at         BIGINT NOT NULL,
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
-- GiST index below) and window. active = 0 once it no longer takes part
-- (cancelled, completed, rejected, withdrawn).
CREATE TABLE ops_footprints (
  rid              BIGSERIAL PRIMARY KEY,
  part_id          TEXT NOT NULL UNIQUE,
  item_id          TEXT NOT NULL REFERENCES items(id),
  room_id          TEXT NOT NULL REFERENCES rooms(id),
  owner_partner_id TEXT NOT NULL REFERENCES partners(id),
  kind             TEXT NOT NULL,
  label            TEXT NOT NULL DEFAULT '',
  geometry         TEXT NOT NULL,
  half_width       DOUBLE PRECISION NOT NULL DEFAULT 0,
  start_at         BIGINT NOT NULL,
  end_at           BIGINT NOT NULL,
  active           BIGINT NOT NULL,
  min_lon DOUBLE PRECISION NOT NULL, min_lat DOUBLE PRECISION NOT NULL, max_lon DOUBLE PRECISION NOT NULL, max_lat DOUBLE PRECISION NOT NULL
);
CREATE INDEX ops_footprints_item ON ops_footprints(item_id);

-- Space as a GiST index on the bounding box; the window is checked beside it.
CREATE INDEX ops_footprints_box ON ops_footprints USING gist (box(point(min_lon, min_lat), point(max_lon, max_lat)));

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
  start_at     BIGINT NOT NULL,
  end_at       BIGINT NOT NULL,
  status       TEXT NOT NULL,
  reason       TEXT NOT NULL DEFAULT '',
  resolved_by  TEXT REFERENCES members(id),
  resolved_at  BIGINT
);
CREATE INDEX conflicts_a ON conflicts(a_item_id, status);
CREATE INDEX conflicts_b ON conflicts(b_item_id, status);
CREATE UNIQUE INDEX conflicts_open_pair ON conflicts(a_item_id, a_part, b_item_id, b_part) WHERE status = 'open';

CREATE TABLE log_entries (
  item_id       TEXT PRIMARY KEY REFERENCES items(id),
  at            BIGINT NOT NULL,
  text          TEXT NOT NULL,
  automatic     BIGINT NOT NULL,
  source_kind   TEXT NOT NULL DEFAULT '',
  source_id     TEXT NOT NULL DEFAULT '',
  struck_at     BIGINT,
  struck_by     TEXT REFERENCES members(id),
  strike_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX log_entries_at ON log_entries(at, item_id);

CREATE TABLE rfis (
  item_id             TEXT PRIMARY KEY REFERENCES items(id),
  question            TEXT NOT NULL,
  assigned_partner_id TEXT NOT NULL REFERENCES partners(id),
  deadline            BIGINT NOT NULL,
  status              TEXT NOT NULL
);

CREATE TABLE rfi_answers (
  rfi_id     TEXT NOT NULL REFERENCES rfis(item_id),
  report_id  TEXT NOT NULL REFERENCES items(id),
  member_id  TEXT NOT NULL REFERENCES members(id),
  at         BIGINT NOT NULL,
  PRIMARY KEY (rfi_id, report_id)
);
