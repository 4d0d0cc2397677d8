-- CreateTable
CREATE TABLE `usage_daily` (
    `tenant_id` CHAR(36) NOT NULL,
    `day` DATE NOT NULL,
    `user_id` CHAR(36) NOT NULL,
    `kind` VARCHAR(32) NOT NULL,
    `requests` BIGINT NOT NULL DEFAULT 0,
    `tokens` BIGINT NOT NULL DEFAULT 0,
    `audio_ms` BIGINT NOT NULL DEFAULT 0,
    `updated_at` DATETIME(3) NOT NULL,

    PRIMARY KEY (`tenant_id`, `day`, `user_id`, `kind`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `usage_flush_batches` (
    `id` VARCHAR(64) NOT NULL,
    `counters` INTEGER NOT NULL,
    `requests` BIGINT NOT NULL,
    `tokens` BIGINT NOT NULL,
    `audio_ms` BIGINT NOT NULL,
    `first_event_at` DATETIME(3) NULL,
    `claimed_at` DATETIME(3) NOT NULL,
    `applied_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `usage_flush_batches_applied_idx`(`applied_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `usage_budgets` (
    `tenant_id` CHAR(36) NOT NULL,
    `user_id` VARCHAR(36) NOT NULL DEFAULT '',
    `max_requests` BIGINT NULL,
    `max_tokens` BIGINT NULL,
    `max_audio_ms` BIGINT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updated_at` DATETIME(3) NOT NULL,

    PRIMARY KEY (`tenant_id`, `user_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `identity_sync_runs` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `workflow_id` VARCHAR(255) NOT NULL,
    `triggered_by` VARCHAR(16) NOT NULL,
    `status` VARCHAR(16) NOT NULL,
    `reason` VARCHAR(1024) NULL,
    `idp_users` INTEGER NULL,
    `added` INTEGER NOT NULL DEFAULT 0,
    `updated` INTEGER NOT NULL DEFAULT 0,
    `deactivated` INTEGER NOT NULL DEFAULT 0,
    `failed` INTEGER NOT NULL DEFAULT 0,
    `started_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `finished_at` DATETIME(3) NULL,

    INDEX `identity_sync_runs_tenant_started_idx`(`tenant_id`, `started_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `retention_purges` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `run_id` VARCHAR(64) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `kind` VARCHAR(32) NOT NULL,
    `subject_id` CHAR(36) NOT NULL,
    `object_key` VARCHAR(512) NULL,
    `purged_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `retention_purges_tenant_purged_idx`(`tenant_id`, `purged_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `usage_budgets` ADD CONSTRAINT `usage_budgets_tenant_id_fkey` FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `identity_sync_runs` ADD CONSTRAINT `identity_sync_runs_tenant_id_fkey` FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
