-- Deliveries are queued by the server (`hooks::routing`, inserted by the store in the event's transaction),
-- the same way on every backend: the routing rules leave SQL.
DROP TRIGGER messages_to_bots;
DROP TRIGGER messages_to_webhooks;
DROP TRIGGER read_marks_inserted;
DROP TRIGGER read_marks_moved;
