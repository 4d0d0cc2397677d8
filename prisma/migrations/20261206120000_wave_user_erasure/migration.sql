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

-- Legal holds (domains/holds/): while one applies to a user, a room or a whole
-- tenant, erasures and retention purges of that data wait. A hold is a record:
-- it is never deleted, and only its release (once) is written to it.
CREATE TABLE `wave_legal_holds` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `scope` VARCHAR(16) NOT NULL,
    `target_id` CHAR(36) NOT NULL,
    `reason` VARCHAR(1000) NOT NULL,
    `placed_by_id` CHAR(36) NULL,
    `placed_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `released_by_id` CHAR(36) NULL,
    `released_at` DATETIME(3) NULL,

    INDEX `wave_legal_holds_tenant_active_idx`(`tenant_id`, `released_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

CREATE TRIGGER `wave_legal_holds_no_delete` BEFORE DELETE ON `wave_legal_holds` FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'wave_legal_holds is append-only: holds are released, never deleted';
CREATE TRIGGER `wave_legal_holds_release_only` BEFORE UPDATE ON `wave_legal_holds` FOR EACH ROW
BEGIN
    IF NOT (OLD.released_at IS NULL AND NEW.id <=> OLD.id AND NEW.tenant_id <=> OLD.tenant_id AND NEW.scope <=> OLD.scope
            AND NEW.target_id <=> OLD.target_id AND NEW.reason <=> OLD.reason AND NEW.placed_by_id <=> OLD.placed_by_id
            AND NEW.placed_at <=> OLD.placed_at) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'wave_legal_holds: only a release, once, changes a hold';
    END IF;
END;

-- A user's own request to be erased (domains/erasure/requests.ts): compliance
-- approves (which requests the erasure) or rejects it, by due_at; the request
-- workflow's durable timer marks it overdue then. At most one open per user.
CREATE TABLE `wave_erasure_requests` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `user_id` CHAR(36) NOT NULL,
    `open_user_id` CHAR(36) NULL,
    `requested_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `due_at` DATETIME(3) NOT NULL,
    `status` VARCHAR(16) NOT NULL DEFAULT 'pending',
    `overdue_at` DATETIME(3) NULL,
    `decided_by_id` CHAR(36) NULL,
    `decided_at` DATETIME(3) NULL,
    `decision_note` VARCHAR(1000) NULL,
    `erasure_id` CHAR(36) NULL,

    UNIQUE INDEX `wave_erasure_requests_open_key`(`open_user_id`),
    INDEX `wave_erasure_requests_tenant_status_idx`(`tenant_id`, `status`, `due_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
