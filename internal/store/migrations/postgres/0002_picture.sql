-- The picture (internal/picture): sites, tracks and their positions,
-- events, areas and a room's own named places. Each is an items row plus
-- its own table. Times are integer microseconds (UTC); geometry is WGS84
-- GeoJSON with its bounding box kept beside it. valid_start/valid_end NULL
-- means "always". Spatial indexes are GiST on built-in box/point
-- expressions (no PostGIS needed).

CREATE TABLE sites (
  item_id     TEXT PRIMARY KEY REFERENCES items(id),
  category    TEXT NOT NULL DEFAULT '',
  protected   BOOLEAN NOT NULL DEFAULT false,
  place_name  TEXT NOT NULL DEFAULT '',
  geometry    TEXT NOT NULL,
  min_lon     DOUBLE PRECISION NOT NULL,
  min_lat     DOUBLE PRECISION NOT NULL,
  max_lon     DOUBLE PRECISION NOT NULL,
  max_lat     DOUBLE PRECISION NOT NULL,
  valid_start BIGINT,
  valid_end   BIGINT
);
CREATE INDEX sites_protected ON sites(protected);
CREATE INDEX sites_box ON sites USING gist (box(point(min_lon, min_lat), point(max_lon, max_lat)));

CREATE TABLE events (
  item_id    TEXT PRIMARY KEY REFERENCES items(id),
  event_kind TEXT NOT NULL,
  start_at   BIGINT NOT NULL,
  end_at     BIGINT NOT NULL,
  place_name TEXT NOT NULL DEFAULT '',
  geometry   TEXT,
  min_lon    DOUBLE PRECISION,
  min_lat    DOUBLE PRECISION,
  max_lon    DOUBLE PRECISION,
  max_lat    DOUBLE PRECISION
);
CREATE INDEX events_time ON events(start_at, end_at);
CREATE INDEX events_box ON events USING gist (box(point(min_lon, min_lat), point(max_lon, max_lat)));

CREATE TABLE event_links (
  event_id  TEXT NOT NULL REFERENCES items(id),
  linked_id TEXT NOT NULL REFERENCES items(id),
  PRIMARY KEY (event_id, linked_id)
);
CREATE INDEX event_links_linked ON event_links(linked_id);

CREATE TABLE areas (
  item_id     TEXT PRIMARY KEY REFERENCES items(id),
  area_kind   TEXT NOT NULL DEFAULT 'zone',
  geometry    TEXT NOT NULL,
  min_lon     DOUBLE PRECISION NOT NULL,
  min_lat     DOUBLE PRECISION NOT NULL,
  max_lon     DOUBLE PRECISION NOT NULL,
  max_lat     DOUBLE PRECISION NOT NULL,
  valid_start BIGINT,
  valid_end   BIGINT
);
CREATE INDEX areas_box ON areas USING gist (box(point(min_lon, min_lat), point(max_lon, max_lat)));

CREATE TABLE places (
  item_id  TEXT PRIMARY KEY REFERENCES items(id),
  name     TEXT NOT NULL,
  folded   TEXT NOT NULL,
  country  TEXT NOT NULL DEFAULT '',
  lat      DOUBLE PRECISION NOT NULL,
  lon      DOUBLE PRECISION NOT NULL
);
CREATE INDEX places_folded ON places(folded);
CREATE INDEX places_point ON places USING gist (point(lon, lat));

CREATE TABLE tracks (
  item_id       TEXT PRIMARY KEY REFERENCES items(id),
  seq           BIGINT NOT NULL UNIQUE,
  room_id       TEXT NOT NULL REFERENCES rooms(id),
  uid           TEXT NOT NULL,
  type_code     TEXT NOT NULL,
  stale_seconds BIGINT NOT NULL DEFAULT 0,
  UNIQUE (room_id, uid)
);

CREATE TABLE track_positions (
  id        BIGSERIAL PRIMARY KEY,
  track_seq BIGINT NOT NULL REFERENCES tracks(seq),
  at        BIGINT NOT NULL,
  lon       DOUBLE PRECISION NOT NULL,
  lat       DOUBLE PRECISION NOT NULL,
  hae       DOUBLE PRECISION,
  course    DOUBLE PRECISION,
  speed     DOUBLE PRECISION,
  accuracy  DOUBLE PRECISION,
  stale     BIGINT
);
CREATE INDEX track_positions_track_at ON track_positions(track_seq, at);
-- Space and time in one built-in GiST index (no extension needed): a
-- point of (longitude, hours since 1970). A bbox + window query is a box
-- in that plane, so it reads only positions near in both longitude and
-- time; latitude is checked on the candidates. Hours put time on a scale
-- like degrees (see picture.rtreeTime for the same choice on SQLite).
CREATE INDEX track_positions_lon_time ON track_positions USING gist (point(lon, at / 3600000000.0));
