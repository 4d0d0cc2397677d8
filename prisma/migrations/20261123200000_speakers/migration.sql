-- AlterTable
ALTER TABLE `mod_scaiecho_transcription_job` ADD COLUMN `attribute_speakers` BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN `speaker_ids` JSON NULL;

-- CreateTable
CREATE TABLE `mod_scaiecho_speaker_profile` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `created_by_user_id` CHAR(36) NOT NULL,
    `display_name` VARCHAR(255) NULL,
    `enrollment_status` VARCHAR(16) NOT NULL DEFAULT 'pending',
    `status_reason` VARCHAR(1024) NULL,
    `reference_object_key` VARCHAR(512) NULL,
    `reference_format` VARCHAR(16) NULL,
    `quality` JSON NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updated_at` DATETIME(3) NOT NULL,
    `ready_at` DATETIME(3) NULL,
    `erased_at` DATETIME(3) NULL,

    INDEX `speaker_profile_tenant_id_idx`(`tenant_id`, `id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `mod_scaiecho_speaker_consent` (
    `speaker_id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `captured_by_user_id` CHAR(36) NOT NULL,
    `captured_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `text_version` VARCHAR(64) NOT NULL,
    `recording_object_key` VARCHAR(512) NULL,
    `withdrawn_at` DATETIME(3) NULL,
    `withdrawn_by_user_id` CHAR(36) NULL,

    PRIMARY KEY (`speaker_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `mod_scaiecho_speaker_erasure` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `speaker_id` CHAR(36) NOT NULL,
    `reason` VARCHAR(32) NOT NULL,
    `requested_by_user_id` CHAR(36) NOT NULL,
    `requested_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `status` VARCHAR(16) NOT NULL DEFAULT 'running',
    `eviction_targets` JSON NULL,
    `completed_at` DATETIME(3) NULL,

    UNIQUE INDEX `mod_scaiecho_speaker_erasure_speaker_id_key`(`speaker_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `mod_scaiecho_erasure_audit` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `speaker_id` CHAR(36) NOT NULL,
    `reason` VARCHAR(32) NOT NULL,
    `requested_by_user_id` CHAR(36) NOT NULL,
    `requested_at` DATETIME(3) NOT NULL,
    `deleted_objects` JSON NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `erasure_audit_tenant_created_idx`(`tenant_id`, `created_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `mod_scaiecho_erasure_receipt` (
    `erasure_id` CHAR(36) NOT NULL,
    `node_id` VARCHAR(128) NOT NULL,
    `outcome` VARCHAR(16) NOT NULL,
    `acknowledged_at` DATETIME(3) NOT NULL,

    PRIMARY KEY (`erasure_id`, `node_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `mod_scaiecho_speaker_profile` ADD CONSTRAINT `mod_scaiecho_speaker_profile_tenant_id_fkey` FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `mod_scaiecho_speaker_consent` ADD CONSTRAINT `mod_scaiecho_speaker_consent_speaker_id_fkey` FOREIGN KEY (`speaker_id`) REFERENCES `mod_scaiecho_speaker_profile`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `mod_scaiecho_speaker_erasure` ADD CONSTRAINT `mod_scaiecho_speaker_erasure_speaker_id_fkey` FOREIGN KEY (`speaker_id`) REFERENCES `mod_scaiecho_speaker_profile`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- Immutability (Prisma has no syntax for it): the erasure audit and its
-- receipts are evidence, so MariaDB itself refuses to change or remove a row,
-- whatever the code or someone at a SQL prompt tries. TRUNCATE and DROP bypass
-- triggers; keeping those from the application's user is the grants' job.
-- Single-statement bodies need no DELIMITER, so any client can run this file.
CREATE TRIGGER `mod_scaiecho_erasure_audit_no_update` BEFORE UPDATE ON `mod_scaiecho_erasure_audit` FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'mod_scaiecho_erasure_audit is append-only: rows cannot be updated';
CREATE TRIGGER `mod_scaiecho_erasure_audit_no_delete` BEFORE DELETE ON `mod_scaiecho_erasure_audit` FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'mod_scaiecho_erasure_audit is append-only: rows cannot be deleted';
CREATE TRIGGER `mod_scaiecho_erasure_receipt_no_update` BEFORE UPDATE ON `mod_scaiecho_erasure_receipt` FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'mod_scaiecho_erasure_receipt is append-only: rows cannot be updated';
CREATE TRIGGER `mod_scaiecho_erasure_receipt_no_delete` BEFORE DELETE ON `mod_scaiecho_erasure_receipt` FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'mod_scaiecho_erasure_receipt is append-only: rows cannot be deleted';
