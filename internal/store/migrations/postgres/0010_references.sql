-- A body names no other item: a claim's event and reports live in claims
-- and claim_reports, a report's source in reports.source_id, and every
-- path that shows them filters them for the reader (docs/ARCHITECTURE.md,
-- References). Earlier versions also copied them into items.body, where
-- the generic item endpoints showed them to every reader of the item.
UPDATE items SET body = (body::jsonb - 'event' - 'supporting' - 'disputing')::text WHERE kind = 'claim';
UPDATE items SET body = (body::jsonb - 'source')::text WHERE kind = 'report';

-- The automatic entries about an item, found when its marking changes.
CREATE INDEX log_entries_source ON log_entries(source_id);

-- A site notice's title named its site, which a reader of the notice
-- may not see; the site is shown (filtered) in the notice's site field.
UPDATE items SET title = 'Protected site' WHERE kind = 'site-notice';
