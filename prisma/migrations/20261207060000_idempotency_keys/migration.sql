-- Idempotency-Key (lib/http/idempotency.ts): one row per key a caller sent
-- to an operation that honours it. The key is kept only as a hash together
-- with who sent it, so the table names no user; the answer is kept as the id
-- of what it made, never its body.
CREATE TABLE `idempotency_keys` (
    `tenant_id` CHAR(36) NOT NULL,
    `key_hash` CHAR(64) NOT NULL,
    `request_hash` CHAR(64) NULL,
    `owner` CHAR(36) NULL,
    `lease_until` DATETIME(3) NOT NULL,
    `status` SMALLINT NULL,
    `resource_id` VARCHAR(64) NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `expires_at` DATETIME(3) NOT NULL,

    INDEX `idempotency_keys_expires_idx`(`expires_at`),
    PRIMARY KEY (`tenant_id`, `key_hash`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
