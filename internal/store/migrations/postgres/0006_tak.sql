-- TAK devices (internal/tak): which room item a marker, shape or chat
-- message a device sent (by CoT uid) became, so that the device's next
-- event with the same uid updates that item instead of making another.
-- Positions go to the picture's tracks and track_positions tables.

CREATE TABLE tak_uids (
  room_id TEXT NOT NULL REFERENCES rooms(id),
  uid     TEXT NOT NULL,
  item_id TEXT NOT NULL REFERENCES items(id),
  PRIMARY KEY (room_id, uid)
);
CREATE INDEX tak_uids_item ON tak_uids(item_id);
