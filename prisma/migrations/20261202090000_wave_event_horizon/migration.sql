-- How far each tenant's room-event log has been pruned (lib/wave/event-retention.ts):
-- a sync cursor below it asks for events that are gone.
CREATE TABLE `wave_event_horizons` (
    `tenant_id` CHAR(36) NOT NULL,
    `pruned_through_seq` BIGINT NOT NULL,
    `pruned_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    PRIMARY KEY (`tenant_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

ALTER TABLE `wave_event_horizons` ADD CONSTRAINT `wave_event_horizons_tenant_id_fkey` FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
