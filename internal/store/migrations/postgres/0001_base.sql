-- Partners, members, credentials, rooms, shared items with their markings,
-- and the hash-chained audit trail. Times are integer microseconds (UTC).

CREATE TABLE partners (
  id         TEXT PRIMARY KEY,
  code       TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE members (
  id            TEXT PRIMARY KEY,
  partner_id    TEXT NOT NULL REFERENCES partners(id),
  username      TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL,
  kind          TEXT NOT NULL,
  password_hash TEXT,
  is_admin      BOOLEAN NOT NULL DEFAULT false,
  disabled      BOOLEAN NOT NULL DEFAULT false,
  created_at    BIGINT NOT NULL
);
CREATE INDEX members_partner ON members(partner_id);

CREATE TABLE tokens (
  id           TEXT PRIMARY KEY,
  member_id    TEXT NOT NULL REFERENCES members(id),
  name         TEXT NOT NULL,
  hash         TEXT NOT NULL UNIQUE,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT,
  revoked_at   BIGINT,
  last_used_at BIGINT
);
CREATE INDEX tokens_member ON tokens(member_id);

CREATE TABLE sessions (
  hash         TEXT PRIMARY KEY,
  member_id    TEXT NOT NULL REFERENCES members(id),
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_member ON sessions(member_id);

CREATE TABLE rooms (
  id                TEXT PRIMARY KEY,
  slug              TEXT NOT NULL UNIQUE,
  name              TEXT NOT NULL,
  purpose           TEXT NOT NULL,
  place_name        TEXT NOT NULL DEFAULT '',
  lat               DOUBLE PRECISION,
  lon               DOUBLE PRECISION,
  command_model     TEXT NOT NULL,
  established_start BIGINT,
  established_end   BIGINT,
  default_tlp       TEXT NOT NULL,
  note              TEXT NOT NULL DEFAULT '',
  created_at        BIGINT NOT NULL
);

CREATE TABLE room_partners (
  room_id    TEXT NOT NULL REFERENCES rooms(id),
  partner_id TEXT NOT NULL REFERENCES partners(id),
  PRIMARY KEY (room_id, partner_id)
);

CREATE TABLE room_members (
  room_id   TEXT NOT NULL REFERENCES rooms(id),
  member_id TEXT NOT NULL REFERENCES members(id),
  role      TEXT NOT NULL,
  PRIMARY KEY (room_id, member_id)
);
CREATE INDEX room_members_member ON room_members(member_id, room_id);

-- Every shared item of every kind has one row here carrying its marking;
-- the need-to-know predicate is written against this table only.
CREATE TABLE items (
  id               TEXT PRIMARY KEY,
  room_id          TEXT NOT NULL REFERENCES rooms(id),
  kind             TEXT NOT NULL,
  title            TEXT NOT NULL,
  tlp              TEXT NOT NULL,
  rel_restricted   BOOLEAN NOT NULL,
  owner_partner_id TEXT NOT NULL REFERENCES partners(id),
  created_by       TEXT NOT NULL REFERENCES members(id),
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL,
  version          BIGINT NOT NULL,
  marking          TEXT NOT NULL,
  body             TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX items_room ON items(room_id, id);
CREATE INDEX items_room_kind ON items(room_id, kind, id);

CREATE TABLE item_releasability (
  item_id    TEXT NOT NULL REFERENCES items(id),
  partner_id TEXT NOT NULL REFERENCES partners(id),
  PRIMARY KEY (item_id, partner_id)
);

CREATE TABLE item_recipients (
  item_id   TEXT NOT NULL REFERENCES items(id),
  member_id TEXT NOT NULL REFERENCES members(id),
  PRIMARY KEY (item_id, member_id)
);

CREATE TABLE audit (
  seq        BIGINT PRIMARY KEY,
  at         BIGINT NOT NULL,
  actor_id   TEXT NOT NULL DEFAULT '',
  partner_id TEXT NOT NULL DEFAULT '',
  action     TEXT NOT NULL,
  room_id    TEXT NOT NULL DEFAULT '',
  kind       TEXT NOT NULL DEFAULT '',
  object_id  TEXT NOT NULL DEFAULT '',
  detail     TEXT NOT NULL DEFAULT '{}',
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);
CREATE INDEX audit_room ON audit(room_id, seq);

-- One row: the head of the chain. Writers lock it so records are appended
-- one at a time, in commit order.
CREATE TABLE audit_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  BIGINT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');
