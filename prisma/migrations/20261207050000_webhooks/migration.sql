-- Signed webhooks (domains/webhooks/). An endpoint's signing secrets are
-- stored sealed under the deployment's master key (SCAIWAVE_CODEC_MASTER_KEYS),
-- so a dump of this table alone does not sign anything. During a rotation's
-- overlap the previous secret signs too, until previous_secret_expires_at.
CREATE TABLE `webhook_endpoints` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `url` VARCHAR(2048) NOT NULL,
    `description` VARCHAR(500) NULL,
    `event_types` JSON COLLATE utf8mb4_nopad_bin NOT NULL,
    `secret_sealed` VARCHAR(255) NOT NULL,
    `previous_secret_sealed` VARCHAR(255) NULL,
    `previous_secret_expires_at` DATETIME(3) NULL,
    `status` VARCHAR(16) NOT NULL DEFAULT 'active',
    `disabled_reason` VARCHAR(500) NULL,
    `disabled_at` DATETIME(3) NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updated_at` DATETIME(3) NOT NULL,

    INDEX `webhook_endpoints_tenant_idx`(`tenant_id`, `status`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

-- One event for one endpoint. The id derives from the endpoint and the event
-- (a redelivered event finds its row and its workflow); a replay is a new row
-- naming the delivery it repeats. The payload holds ids, statuses and URLs only.
CREATE TABLE `webhook_deliveries` (
    `id` VARCHAR(64) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `endpoint_id` CHAR(36) NOT NULL,
    `event_id` VARCHAR(128) NOT NULL,
    `event_type` VARCHAR(64) NOT NULL,
    `payload` JSON COLLATE utf8mb4_nopad_bin NOT NULL,
    `status` VARCHAR(16) NOT NULL DEFAULT 'pending',
    `replay_of` VARCHAR(64) NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `settled_at` DATETIME(3) NULL,

    INDEX `webhook_deliveries_endpoint_idx`(`endpoint_id`, `created_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

-- Each try of a delivery: numbered by the delivery's workflow, so a try
-- repeated after a worker crash overwrites its own row rather than adding one.
CREATE TABLE `webhook_delivery_attempts` (
    `delivery_id` VARCHAR(64) NOT NULL,
    `attempt` INTEGER NOT NULL,
    `started_at` DATETIME(3) NOT NULL,
    `status_code` INTEGER NULL,
    `latency_ms` INTEGER NOT NULL,
    `error` VARCHAR(500) NULL,

    PRIMARY KEY (`delivery_id`, `attempt`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

-- What the tenant's admins are told: an endpoint disabled, and why.
CREATE TABLE `webhook_notifications` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `endpoint_id` CHAR(36) NOT NULL,
    `kind` VARCHAR(32) NOT NULL,
    `message` VARCHAR(500) NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `webhook_notifications_tenant_idx`(`tenant_id`, `created_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
