-- A room's messages in (created_at, id) order, the keyset a room export pages by
-- (lib/export/message-records.ts): without it every page sorted the whole room
-- again, so an export's time grew with the square of the room's size.
CREATE INDEX `wave_messages_room_created_idx` ON `wave_messages`(`room_id`, `created_at`, `id`);
