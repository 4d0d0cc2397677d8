-- Keys of the Temporal payload codec (lib/codec/). Each payload a client or a
-- worker hands Temporal is sealed with the data key of its scope: the
-- deployment's, a tenant's, or one data subject's (a user, a speaker). A data
-- key is stored wrapped by a master key from SCAIWAVE_CODEC_MASTER_KEYS, never
-- in clear. Erasing a subject destroys its keys: the wrapped key is set to
-- NULL, and every payload sealed with it, in every history and backup, can no
-- longer be opened. Rotation adds a version; new payloads take the newest, old
-- ones keep theirs. scope_id is '' for the deployment (a unique key NULLs do
-- not collide on would let two racing processes each make one).
CREATE TABLE `payload_keys` (
    `id` CHAR(36) NOT NULL,
    `scope` VARCHAR(16) NOT NULL,
    `scope_id` VARCHAR(80) NOT NULL,
    `version` INTEGER NOT NULL,
    `master_key_id` VARCHAR(64) NOT NULL,
    `wrapped_key` VARBINARY(128) NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `destroyed_at` DATETIME(3) NULL,

    UNIQUE INDEX `payload_keys_scope_version_key`(`scope`, `scope_id`, `version`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

-- A key is never deleted (its row is the record that it existed and when it
-- was destroyed), and a destroyed key never comes back.
CREATE TRIGGER `payload_keys_no_delete` BEFORE DELETE ON `payload_keys` FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'payload_keys: a key is destroyed, never deleted';
CREATE TRIGGER `payload_keys_destroy_only` BEFORE UPDATE ON `payload_keys` FOR EACH ROW
BEGIN
    IF NOT (NEW.id <=> OLD.id AND NEW.scope <=> OLD.scope AND NEW.scope_id <=> OLD.scope_id AND NEW.version <=> OLD.version
            AND NEW.created_at <=> OLD.created_at AND OLD.destroyed_at IS NULL
            AND ((NEW.wrapped_key IS NULL AND NEW.destroyed_at IS NOT NULL)
                 OR (NEW.destroyed_at IS NULL AND NEW.wrapped_key IS NOT NULL))) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'payload_keys: a key is only rewrapped or destroyed, once';
    END IF;
END;

-- Each decode the codec server does for an operator (the Temporal UI's remote
-- codec): who, when, which namespace, how many payloads, under which keys.
CREATE TABLE `payload_decode_audit` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `tenant_id` CHAR(36) NOT NULL,
    `user_id` CHAR(36) NOT NULL,
    `via` VARCHAR(16) NOT NULL,
    `namespace` VARCHAR(255) NOT NULL,
    `payloads` INTEGER NOT NULL,
    `decoded` INTEGER NOT NULL,
    `key_ids` JSON COLLATE utf8mb4_nopad_bin NOT NULL,

    INDEX `payload_decode_audit_at_idx`(`at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

CREATE TRIGGER `payload_decode_audit_no_update` BEFORE UPDATE ON `payload_decode_audit` FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'payload_decode_audit is append-only: rows cannot be updated';
CREATE TRIGGER `payload_decode_audit_no_delete` BEFORE DELETE ON `payload_decode_audit` FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'payload_decode_audit is append-only: rows cannot be deleted';

-- A speaker's erasure destroys the speaker's payload keys; which ones, on its receipt.
ALTER TABLE `mod_scaiecho_speaker_erasure` ADD COLUMN `payload_keys_destroyed` JSON COLLATE utf8mb4_nopad_bin NULL;
