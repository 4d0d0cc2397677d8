-- A caller's deletion of one of their transcription jobs
-- (domains/scaiecho/job-deletion-workflow.ts): the receipt that stays once the
-- transcript and the audio are gone. Ids and times only.
CREATE TABLE `mod_scaiecho_job_deletion` (
    `job_id` CHAR(36) NOT NULL,
    `tenant_id` CHAR(36) NOT NULL,
    `requested_by_user_id` CHAR(36) NOT NULL,
    `requested_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `was_running` BOOLEAN NOT NULL,
    `audio_object_key` VARCHAR(512) NULL,
    `audio_deleted_at` DATETIME(3) NULL,
    `completed_at` DATETIME(3) NULL,

    INDEX `mod_scaiecho_job_deletion_tenant_requested_idx`(`tenant_id`, `requested_at`),
    PRIMARY KEY (`job_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
