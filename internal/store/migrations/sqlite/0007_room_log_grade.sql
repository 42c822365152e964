-- A room's watch log threshold (internal/room, internal/ops): the
-- Admiralty grade (e.g. "B2") at or above which a shared report is entered
-- in the room's watch log automatically; '' means never.

ALTER TABLE rooms ADD COLUMN log_grade TEXT NOT NULL DEFAULT '';
