-- GDPR erasure of a whole user (domains/erasure/). One request per user,
-- however often it is asked (the unique user id); the erased user's row in
-- `users` becomes their pseudonym (pseudonym_id), which every row that named
-- them names instead. The receipts are the proof: one row per store and batch,
-- written in the transaction that made the change it counts, so a batch
-- repeated after a crash finds its receipt and does nothing twice. No foreign
-- keys: the record must outlive whatever it describes.
CREATE TABLE `wave_user_erasures` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `user_id` CHAR(36) NOT NULL,
    `pseudonym_id` CHAR(36) NOT NULL,
    `mode` VARCHAR(16) NOT NULL,
    `requested_by_id` CHAR(36) NULL,
    `requested_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `status` VARCHAR(16) NOT NULL DEFAULT 'running',
    `completed_at` DATETIME(3) NULL,

    UNIQUE INDEX `wave_user_erasures_user_key`(`user_id`),
    INDEX `wave_user_erasures_tenant_requested_idx`(`tenant_id`, `requested_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

CREATE TABLE `wave_user_erasure_receipts` (
    `erasure_id` CHAR(36) NOT NULL,
    `store` VARCHAR(32) NOT NULL,
    `batch` INTEGER NOT NULL,
    `removed` INTEGER NOT NULL,
    `detail` JSON COLLATE utf8mb4_nopad_bin NOT NULL,
    `recorded_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    PRIMARY KEY (`erasure_id`, `store`, `batch`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

-- The request says who was erased, how and by whom, for good: only its status moves.
CREATE TRIGGER `wave_user_erasures_no_delete` BEFORE DELETE ON `wave_user_erasures` FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'wave_user_erasures is append-only: rows cannot be deleted';
CREATE TRIGGER `wave_user_erasures_status_only` BEFORE UPDATE ON `wave_user_erasures` FOR EACH ROW
BEGIN
    IF NOT (NEW.id <=> OLD.id AND NEW.tenant_id <=> OLD.tenant_id AND NEW.user_id <=> OLD.user_id AND NEW.pseudonym_id <=> OLD.pseudonym_id
            AND NEW.mode <=> OLD.mode AND NEW.requested_by_id <=> OLD.requested_by_id AND NEW.requested_at <=> OLD.requested_at) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'wave_user_erasures: only status and completed_at change';
    END IF;
END;
CREATE TRIGGER `wave_user_erasure_receipts_no_update` BEFORE UPDATE ON `wave_user_erasure_receipts` FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'wave_user_erasure_receipts is append-only: rows cannot be updated';
CREATE TRIGGER `wave_user_erasure_receipts_no_delete` BEFORE DELETE ON `wave_user_erasure_receipts` FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'wave_user_erasure_receipts is append-only: rows cannot be deleted';
