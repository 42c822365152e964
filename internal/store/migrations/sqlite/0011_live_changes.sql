-- Durable streams (internal/live): every change published on the live
-- stream, written in the transaction of its audit record, so that a
-- client resuming with Last-Event-ID after a restart, or on another
-- instance, gets what it missed. Kept for the retention window (serve
-- --stream-retention) and pruned beyond it.
CREATE TABLE live_changes (
  seq     INTEGER NOT NULL,  -- the audit record's seq
  idx     INTEGER NOT NULL, -- among the changes sharing seq
  room_id TEXT NOT NULL,
  kind    TEXT NOT NULL,
  item_id TEXT NOT NULL,
  op      TEXT NOT NULL,
  at      INTEGER NOT NULL,  -- microseconds, UTC
  marking TEXT NOT NULL, -- the item's marking when the change was made (JSON)
  data    TEXT,          -- the item as the API showed it (JSON)
  refs    TEXT,          -- the items data names, with their markings and paths (JSON)
  PRIMARY KEY (seq, idx)
) WITHOUT ROWID;
CREATE INDEX live_changes_room ON live_changes (room_id, seq, idx);

-- Every change after (seq, idx) is in live_changes: older ones were
-- pruned, or published before the table existed.
CREATE TABLE live_floor (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  idx INTEGER NOT NULL
);
INSERT INTO live_floor (id, seq, idx) SELECT 1, COALESCE((SELECT seq FROM audit_head WHERE id = 1), 0), 2147483647;
