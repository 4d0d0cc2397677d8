-- Compliance exports of a room (lib/export/, workflows/wave-room-export.ts).
-- One row per export; its files are staged and hashed before the bundle is laid
-- out, so the bundle can be uploaded part by part and resumed after a crash.
CREATE TABLE `wave_exports` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `room_id` CHAR(36) NOT NULL,
    `kind` VARCHAR(16) NOT NULL,
    `requested_by_id` CHAR(36) NULL,
    `since` DATETIME(3) NULL,
    `until` DATETIME(3) NOT NULL,
    `status` VARCHAR(16) NOT NULL,
    `messages_total` INTEGER NOT NULL DEFAULT 0,
    `media_bytes_total` BIGINT NOT NULL DEFAULT 0,
    `members` INTEGER NULL,
    `media_count` INTEGER NULL,
    `warnings` INTEGER NULL,
    `bundle_bytes` BIGINT NULL,
    `uploaded_bytes` BIGINT NOT NULL DEFAULT 0,
    `object_key` VARCHAR(512) NOT NULL,
    `upload_id` VARCHAR(1024) NULL,
    `manifest_sha256` CHAR(64) NULL,
    `signed` BOOLEAN NOT NULL DEFAULT false,
    `error` VARCHAR(1024) NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `completed_at` DATETIME(3) NULL,

    INDEX `wave_exports_tenant_room_created_idx`(`tenant_id`, `room_id`, `created_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

-- Every file of a bundle but the manifest and its signature, in archive order
-- (section, then idx). Staged files (room.json, message chunks, …) live under the
-- export's staging prefix; media files are read from where the media item is.
CREATE TABLE `wave_export_files` (
    `export_id` CHAR(36) NOT NULL,
    `section` TINYINT NOT NULL,
    `idx` INTEGER NOT NULL,
    `path` VARCHAR(255) NOT NULL,
    `object_key` VARCHAR(512) NOT NULL,
    `bytes` BIGINT NOT NULL,
    `sha256` CHAR(64) NOT NULL,
    `etag` VARCHAR(128) NULL,
    `messages` INTEGER NOT NULL DEFAULT 0,
    `revisions` INTEGER NOT NULL DEFAULT 0,
    `tombstones` INTEGER NOT NULL DEFAULT 0,
    `reactions` INTEGER NOT NULL DEFAULT 0,

    UNIQUE INDEX `wave_export_files_path_key`(`export_id`, `path`),
    PRIMARY KEY (`export_id`, `section`, `idx`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

-- What a bundle leaves out, and why; becomes its warnings.json.
CREATE TABLE `wave_export_warnings` (
    `export_id` CHAR(36) NOT NULL,
    `media_id` CHAR(36) NOT NULL,
    `code` VARCHAR(32) NOT NULL,
    `detail` VARCHAR(512) NOT NULL,

    PRIMARY KEY (`export_id`, `media_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

ALTER TABLE `wave_exports` ADD CONSTRAINT `wave_exports_room_id_fkey` FOREIGN KEY (`room_id`) REFERENCES `wave_rooms`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE `wave_export_files` ADD CONSTRAINT `wave_export_files_export_id_fkey` FOREIGN KEY (`export_id`) REFERENCES `wave_exports`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE `wave_export_warnings` ADD CONSTRAINT `wave_export_warnings_export_id_fkey` FOREIGN KEY (`export_id`) REFERENCES `wave_exports`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- How far each room's scheduled compliance exports have got: the next one
-- starts where the last successful one ended, so a missed run is caught up.
CREATE TABLE `wave_compliance_cursors` (
    `room_id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `exported_until` DATETIME(3) NOT NULL,
    `export_id` CHAR(36) NULL,
    `updated_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `wave_compliance_cursors_tenant_idx`(`tenant_id`),
    PRIMARY KEY (`room_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

ALTER TABLE `wave_compliance_cursors` ADD CONSTRAINT `wave_compliance_cursors_room_id_fkey` FOREIGN KEY (`room_id`) REFERENCES `wave_rooms`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
