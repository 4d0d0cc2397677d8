-- Imports of room bundles (lib/export/imports.ts, workflows/wave-room-import.ts).
-- One row per (target workspace, bundle): its id is derived from both, so the
-- same bundle sent again finds this row rather than importing twice. The counts
-- are raised in the transactions that write what they count, so a step repeated
-- after a crash neither writes nor counts anything twice.
CREATE TABLE `wave_imports` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `workspace_id` CHAR(36) NOT NULL,
    `requested_by_id` CHAR(36) NULL,
    `bundle_sha256` CHAR(64) NOT NULL,
    `bundle_bytes` BIGINT NOT NULL,
    `object_key` VARCHAR(512) NOT NULL,
    `status` VARCHAR(16) NOT NULL,
    `export_id` CHAR(36) NULL,
    `source_room_id` CHAR(36) NULL,
    `room_id` CHAR(36) NULL,
    `signed` BOOLEAN NOT NULL DEFAULT false,
    `messages_total` INTEGER NOT NULL DEFAULT 0,
    `messages_added` INTEGER NOT NULL DEFAULT 0,
    `messages_updated` INTEGER NOT NULL DEFAULT 0,
    `messages_renamed` INTEGER NOT NULL DEFAULT 0,
    `members` INTEGER NOT NULL DEFAULT 0,
    `placeholders` INTEGER NOT NULL DEFAULT 0,
    `media_total` INTEGER NOT NULL DEFAULT 0,
    `media_added` INTEGER NOT NULL DEFAULT 0,
    `media_left_out` INTEGER NOT NULL DEFAULT 0,
    `problems` JSON COLLATE utf8mb4_nopad_bin NULL,
    `error` VARCHAR(1024) NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `completed_at` DATETIME(3) NULL,

    INDEX `wave_imports_tenant_workspace_created_idx`(`tenant_id`, `workspace_id`, `created_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

ALTER TABLE `wave_imports` ADD CONSTRAINT `wave_imports_workspace_id_fkey` FOREIGN KEY (`workspace_id`) REFERENCES `wave_workspaces`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
