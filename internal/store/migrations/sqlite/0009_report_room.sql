-- Each report keeps its room, as on PostgreSQL (whose 0009 names the
-- room in the doc-block tokens of its search index), so that both engines
-- share the insert. SQLite's full-text index is left as 0008 made it: its
-- search reads matches in doc order and stops after the page, and a room
-- token there, held by nearly every report of a large room, slowed a
-- large room's searches (p95 4.6 to 25 ms at 1,000,000 reports) more than
-- it sped a small room's.
ALTER TABLE reports ADD COLUMN room_id TEXT NOT NULL DEFAULT '';
UPDATE reports SET room_id = (SELECT room_id FROM items WHERE items.id = reports.item_id);
