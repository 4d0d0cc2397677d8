-- Live transcription over WebSocket (domains/scaiecho/live/): one row per
-- session, written when it opens and completed when it closes, for audit and
-- support. Ids and figures only: the audio and the words are never stored.
CREATE TABLE `mod_scaiecho_stream_session` (
    `id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `user_id` CHAR(36) NOT NULL,
    `backend` VARCHAR(8) NOT NULL,
    `node_id` VARCHAR(128) NULL,
    `sample_rate_hz` INTEGER NOT NULL,
    `opened_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `closed_at` DATETIME(3) NULL,
    `audio_ms` INTEGER NOT NULL DEFAULT 0,
    `finals` INTEGER NOT NULL DEFAULT 0,
    `close_code` INTEGER NULL,
    `close_reason` VARCHAR(255) NULL,

    INDEX `mod_scaiecho_stream_session_tenant_opened_idx`(`tenant_id`, `opened_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
