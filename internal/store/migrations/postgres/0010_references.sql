-- A body names no other item: a claim's event and reports live in claims
-- and claim_reports, a report's source in reports.source_id, and every
-- path that shows them filters them for the reader (docs/ARCHITECTURE.md,
-- References). Earlier versions also copied them into items.body, where
-- the generic item endpoints showed them to every reader of the item.
UPDATE items SET body = (body::jsonb - 'event' - 'supporting' - 'disputing')::text WHERE kind = 'claim';
UPDATE items SET body = (body::jsonb - 'source')::text WHERE kind = 'report';

-- The items each automatic watch-log entry describes (its subject and,
-- say, a report's source): when one of them narrows, the entry narrows
-- with it, so that it never shows what its reader may not see.
CREATE TABLE log_entry_about (
  entry_id TEXT NOT NULL REFERENCES items(id),
  item_id  TEXT NOT NULL REFERENCES items(id),
  PRIMARY KEY (item_id, entry_id)
);
INSERT INTO log_entry_about (entry_id, item_id)
  SELECT e.item_id, e.source_id FROM log_entries e JOIN items i ON i.id = e.source_id WHERE e.automatic = 1;
INSERT INTO log_entry_about (entry_id, item_id)
  SELECT e.item_id, rp.source_id FROM log_entries e JOIN reports rp ON rp.item_id = e.source_id
  WHERE e.automatic = 1 AND e.source_kind = 'report' ON CONFLICT DO NOTHING;

-- A site notice's title named its site, which a reader of the notice
-- may not see; the site is shown (filtered) in the notice's site field.
UPDATE items SET title = 'Protected site' WHERE kind = 'site-notice';
