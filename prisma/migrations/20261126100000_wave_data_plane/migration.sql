-- ScaiWave collaboration data (issue 11): workspaces, rooms, memberships and
-- their history, messages with revisions and tombstones, reactions, media, and
-- the outbox that carries every change to JetStream. New tables only.
-- Byte-exact comparison throughout (see 20261126000000_identifiers_byte_exact);
-- JSON columns say so too, or MariaDB gives them utf8mb4_bin, a PAD SPACE collation.

CREATE TABLE `wave_workspaces` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `slug` VARCHAR(64) NOT NULL,
    `name` VARCHAR(255) NOT NULL,
    `created_by_id` CHAR(36) NULL,
    `archived_at` DATETIME(3) NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updated_at` DATETIME(3) NOT NULL,

    UNIQUE INDEX `wave_workspaces_tenant_slug_key`(`tenant_id`, `slug`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

CREATE TABLE `wave_rooms` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `workspace_id` CHAR(36) NOT NULL,
    `kind` VARCHAR(16) NOT NULL,
    `visibility` VARCHAR(16) NOT NULL,
    `name` VARCHAR(255) NULL,
    `topic` VARCHAR(1024) NULL,
    `created_by_id` CHAR(36) NOT NULL,
    `last_seq` BIGINT NOT NULL DEFAULT 0,
    `archived_at` DATETIME(3) NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updated_at` DATETIME(3) NOT NULL,

    INDEX `wave_rooms_workspace_created_idx`(`workspace_id`, `created_at`),
    INDEX `wave_rooms_tenant_workspace_idx`(`tenant_id`, `workspace_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

CREATE TABLE `wave_room_members` (
    `room_id` CHAR(36) NOT NULL,
    `user_id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `role` VARCHAR(16) NOT NULL,
    `joined_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `left_at` DATETIME(3) NULL,

    INDEX `wave_room_members_tenant_user_idx`(`tenant_id`, `user_id`),
    PRIMARY KEY (`room_id`, `user_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

CREATE TABLE `wave_room_member_log` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `tenant_id` CHAR(36) NOT NULL,
    `room_id` CHAR(36) NOT NULL,
    `user_id` CHAR(36) NOT NULL,
    `action` VARCHAR(16) NOT NULL,
    `role` VARCHAR(16) NULL,
    `actor_id` CHAR(36) NOT NULL,
    `at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `wave_room_member_log_room_at_idx`(`room_id`, `at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

CREATE TABLE `wave_messages` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `room_id` CHAR(36) NOT NULL,
    `seq` BIGINT NOT NULL,
    `author_id` CHAR(36) NOT NULL,
    `thread_parent_id` CHAR(36) NULL,
    `body` TEXT NULL,
    `mentions` JSON COLLATE utf8mb4_nopad_bin NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `edited_at` DATETIME(3) NULL,
    `deleted_at` DATETIME(3) NULL,
    `deleted_by_id` CHAR(36) NULL,

    UNIQUE INDEX `wave_messages_room_seq_key`(`room_id`, `seq`),
    INDEX `wave_messages_thread_seq_idx`(`thread_parent_id`, `seq`),
    INDEX `wave_messages_tenant_author_idx`(`tenant_id`, `author_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

CREATE TABLE `wave_message_revisions` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `message_id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `body` TEXT NULL,
    `edited_at` DATETIME(3) NOT NULL,
    `editor_id` CHAR(36) NOT NULL,

    INDEX `wave_message_revisions_message_idx`(`message_id`, `id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

CREATE TABLE `wave_reactions` (
    `message_id` CHAR(36) NOT NULL,
    `user_id` CHAR(36) NOT NULL,
    `emoji` VARCHAR(64) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    PRIMARY KEY (`message_id`, `user_id`, `emoji`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

CREATE TABLE `wave_media` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `room_id` CHAR(36) NOT NULL,
    `owner_id` CHAR(36) NOT NULL,
    `object_key` VARCHAR(512) NOT NULL,
    `file_name` VARCHAR(255) NULL,
    `bytes` BIGINT NOT NULL,
    `sha256` CHAR(64) NOT NULL,
    `content_type` VARCHAR(127) NOT NULL,
    `scan_status` VARCHAR(16) NOT NULL,
    `scan_signature` VARCHAR(255) NULL,
    `scanned_at` DATETIME(3) NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `wave_media_room_created_idx`(`room_id`, `created_at`),
    INDEX `wave_media_tenant_owner_idx`(`tenant_id`, `owner_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

CREATE TABLE `wave_outbox` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `msg_id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `room_id` CHAR(36) NOT NULL,
    `subject` VARCHAR(255) NOT NULL,
    `payload` JSON COLLATE utf8mb4_nopad_bin NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `published_at` DATETIME(3) NULL,
    `stream_seq` BIGINT NULL,

    UNIQUE INDEX `wave_outbox_msg_id_key`(`msg_id`),
    INDEX `wave_outbox_pending_idx`(`published_at`, `id`),
    INDEX `wave_outbox_tenant_seq_idx`(`tenant_id`, `stream_seq`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

ALTER TABLE `wave_workspaces` ADD CONSTRAINT `wave_workspaces_tenant_id_fkey` FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE `wave_rooms` ADD CONSTRAINT `wave_rooms_workspace_id_fkey` FOREIGN KEY (`workspace_id`) REFERENCES `wave_workspaces`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE `wave_room_members` ADD CONSTRAINT `wave_room_members_room_id_fkey` FOREIGN KEY (`room_id`) REFERENCES `wave_rooms`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE `wave_messages` ADD CONSTRAINT `wave_messages_room_id_fkey` FOREIGN KEY (`room_id`) REFERENCES `wave_rooms`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE `wave_message_revisions` ADD CONSTRAINT `wave_message_revisions_message_id_fkey` FOREIGN KEY (`message_id`) REFERENCES `wave_messages`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE `wave_reactions` ADD CONSTRAINT `wave_reactions_message_id_fkey` FOREIGN KEY (`message_id`) REFERENCES `wave_messages`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE `wave_media` ADD CONSTRAINT `wave_media_room_id_fkey` FOREIGN KEY (`room_id`) REFERENCES `wave_rooms`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
