-- The picture (internal/picture): sites, tracks and their positions,
-- events, areas and a room's own named places. Each is an items row plus
-- its own table. Times are integer microseconds (UTC); geometry is WGS84
-- GeoJSON with its bounding box kept beside it in double precision for the
-- exact box test. valid_start/valid_end NULL means "always".

CREATE TABLE sites (
  item_id     TEXT PRIMARY KEY REFERENCES items(id),
  category    TEXT NOT NULL DEFAULT '',
  protected   INTEGER NOT NULL DEFAULT 0,
  place_name  TEXT NOT NULL DEFAULT '',
  geometry    TEXT NOT NULL,
  min_lon     REAL NOT NULL,
  min_lat     REAL NOT NULL,
  max_lon     REAL NOT NULL,
  max_lat     REAL NOT NULL,
  valid_start INTEGER,
  valid_end   INTEGER
);
CREATE INDEX sites_protected ON sites(protected);

CREATE TABLE events (
  item_id    TEXT PRIMARY KEY REFERENCES items(id),
  event_kind TEXT NOT NULL,
  start_at   INTEGER NOT NULL,
  end_at     INTEGER NOT NULL,
  place_name TEXT NOT NULL DEFAULT '',
  geometry   TEXT,
  min_lon    REAL,
  min_lat    REAL,
  max_lon    REAL,
  max_lat    REAL
);
CREATE INDEX events_time ON events(start_at, end_at);

-- Reports and claims an event rests on. Shown to a viewer only when the
-- linked item is visible to it too.
CREATE TABLE event_links (
  event_id  TEXT NOT NULL REFERENCES items(id),
  linked_id TEXT NOT NULL REFERENCES items(id),
  PRIMARY KEY (event_id, linked_id)
) WITHOUT ROWID;
CREATE INDEX event_links_linked ON event_links(linked_id);

CREATE TABLE areas (
  item_id     TEXT PRIMARY KEY REFERENCES items(id),
  area_kind   TEXT NOT NULL DEFAULT 'zone',
  geometry    TEXT NOT NULL,
  min_lon     REAL NOT NULL,
  min_lat     REAL NOT NULL,
  max_lon     REAL NOT NULL,
  max_lat     REAL NOT NULL,
  valid_start INTEGER,
  valid_end   INTEGER
);

-- A room's own named places, searched by /api/v1/places beside the
-- shipped gazetteer. folded is the gazetteer's folded form of the name.
CREATE TABLE places (
  item_id  TEXT PRIMARY KEY REFERENCES items(id),
  name     TEXT NOT NULL,
  folded   TEXT NOT NULL,
  country  TEXT NOT NULL DEFAULT '',
  lat      REAL NOT NULL,
  lon      REAL NOT NULL
);
CREATE INDEX places_folded ON places(folded);

-- Spatial index of every fixed shape above (sites, events, areas, places):
-- an R*Tree keyed by picture_shapes.id. The R*Tree stores 32-bit floats
-- rounded outward, so it is a candidate filter; the exact test uses the
-- kind table's double-precision box and geometry.
CREATE TABLE picture_shapes (
  id      INTEGER PRIMARY KEY,
  item_id TEXT NOT NULL UNIQUE REFERENCES items(id)
);
CREATE VIRTUAL TABLE picture_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat);

-- Tracks: seq is a compact integer key for the (large) positions table.
CREATE TABLE tracks (
  item_id       TEXT PRIMARY KEY REFERENCES items(id),
  seq           INTEGER NOT NULL UNIQUE,
  room_id       TEXT NOT NULL REFERENCES rooms(id),
  uid           TEXT NOT NULL,
  type_code     TEXT NOT NULL,
  stale_seconds INTEGER NOT NULL DEFAULT 0,
  UNIQUE (room_id, uid)
);

-- Positions over time, sized for tens of millions of rows: integer keys
-- only, no text per row. stale NULL: never stale.
CREATE TABLE track_positions (
  id        INTEGER PRIMARY KEY,
  track_seq INTEGER NOT NULL REFERENCES tracks(seq),
  at        INTEGER NOT NULL,
  lon       REAL NOT NULL,
  lat       REAL NOT NULL,
  hae       REAL,
  course    REAL,
  speed     REAL,
  accuracy  REAL,
  stale     INTEGER
);
CREATE INDEX track_positions_track_at ON track_positions(track_seq, at);
-- Space and time (hours, see picture.rtreeTime) of each position; candidate filter as above.
CREATE VIRTUAL TABLE track_positions_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat, min_t, max_t);
