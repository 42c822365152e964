-- A body names no other item: a claim's event and reports live in claims
-- and claim_reports, a report's source in reports.source_id, and every
-- path that shows them filters them for the reader (docs/ARCHITECTURE.md,
-- References). Earlier versions also copied them into items.body, where
-- the generic item endpoints showed them to every reader of the item.
UPDATE items SET body = json_remove(body, '$.event', '$.supporting', '$.disputing') WHERE kind = 'claim';
UPDATE items SET body = json_remove(body, '$.source') WHERE kind = 'report';
