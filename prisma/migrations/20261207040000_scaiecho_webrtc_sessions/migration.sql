-- Live transcription over WebRTC (domains/scaiecho/live/webrtc-session.ts):
-- one row per answered offer beside the stream session it feeds, for audit and
-- support: how far ICE and DTLS got, over which candidate, with which codec,
-- how many packets came and how many never did. The peer connection itself
-- lives in the API process's memory only; no audio and no words are stored.
CREATE TABLE `mod_scaiecho_webrtc_session` (
    `id` CHAR(36) NOT NULL,
    `stream_session_id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `user_id` CHAR(36) NOT NULL,
    `ice_state` VARCHAR(16) NOT NULL DEFAULT 'new',
    `dtls_state` VARCHAR(16) NOT NULL DEFAULT 'new',
    `remote_candidate_type` VARCHAR(8) NULL,
    `codec` VARCHAR(32) NULL,
    `packets_received` INTEGER NOT NULL DEFAULT 0,
    `packets_lost` INTEGER NOT NULL DEFAULT 0,
    `opened_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `connected_at` DATETIME(3) NULL,
    `closed_at` DATETIME(3) NULL,
    `close_reason` VARCHAR(255) NULL,

    UNIQUE INDEX `mod_scaiecho_webrtc_session_stream_session_id_key`(`stream_session_id`),
    INDEX `mod_scaiecho_webrtc_session_tenant_opened_idx`(`tenant_id`, `opened_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

ALTER TABLE `mod_scaiecho_webrtc_session` ADD CONSTRAINT `mod_scaiecho_webrtc_session_stream_session_id_fkey` FOREIGN KEY (`stream_session_id`) REFERENCES `mod_scaiecho_stream_session`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
