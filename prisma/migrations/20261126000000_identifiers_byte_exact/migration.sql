-- Every text column compares byte for byte (issue 8, defect 1).
--
-- Until now every column compared under utf8mb4_unicode_ci, which folds case
-- and accents, ignores NUL and pads with spaces: a ScaiKey token whose `sub`
-- was 'ALICE-MEMBER', 'alice-member ' or 'álice-member' found the user
-- 'alice-member' (and its roles claim overwrote that user's roles), and a job
-- id with a space or NUL appended, or upper-cased, found the job. Ids,
-- subjects, slugs, key hashes, node ids and object keys are opaque bytes, so
-- they must be equal only when their bytes are.
--
-- utf8mb4_nopad_bin, not utf8mb4_bin: in MariaDB utf8mb4_bin is a PAD SPACE
-- collation, so 'a' = 'a ' is still true under it. Checked on 10.11:
--   SELECT 'a' COLLATE utf8mb4_bin = 'a ';                -- 1
--   SELECT 'a' COLLATE utf8mb4_nopad_bin = 'a ';          -- 0
--   SELECT 'a' COLLATE utf8mb4_nopad_bin = 'A';           -- 0
--   SELECT 'a' COLLATE utf8mb4_nopad_bin = 'á';           -- 0
--   SELECT 'a' COLLATE utf8mb4_nopad_bin = CONCAT('a', CHAR(0)); -- 0
-- (unicode_ci answers 1 to all five). CHAR(36) ids keep their type: CHAR
-- strips trailing spaces when it stores a value, but a lookup with a trailing
-- space or NUL finds nothing under NO PAD.
--
-- Whole tables, not only the identifier columns: the table default is what
-- a later ALTER TABLE ... ADD COLUMN inherits, and no query sorts or searches
-- human text (names, emails, transcripts), so nothing needs a folding
-- collation. Should one ever need it, that column says so with its own
-- COLLATE. The database default changes too, for tables created later; but
-- a migration copied from Prisma's output says COLLATE utf8mb4_unicode_ci
-- itself, so new tables must name utf8mb4_nopad_bin (test/identifiers.test.ts
-- fails otherwise). JSON columns become NO PAD binary as well (they were
-- utf8mb4_bin, MariaDB's JSON alias); their json_valid checks stay.
--
-- The ids are also foreign keys, and MariaDB refuses to change the collation
-- of a column a foreign key uses (error 1832/1833, even with
-- foreign_key_checks = 0), so the keys are dropped, every table is converted
-- (each is rebuilt; nothing else about it changes) and the keys are added
-- back exactly as before, which checks every row again. ALTER TABLE fires no
-- triggers, so the erasure tables' append-only triggers neither stop nor
-- notice the rebuild. Like any migration here, a failure part-way stops the
-- migrator until an operator finishes it: the statements below are the list.

ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

-- DropForeignKey
ALTER TABLE `users` DROP FOREIGN KEY `users_tenant_id_fkey`;
ALTER TABLE `api_keys` DROP FOREIGN KEY `api_keys_tenant_id_fkey`;
ALTER TABLE `api_keys` DROP FOREIGN KEY `api_keys_user_id_fkey`;
ALTER TABLE `mod_scaiecho_tenant_policy` DROP FOREIGN KEY `mod_scaiecho_tenant_policy_tenant_id_fkey`;
ALTER TABLE `mod_scaiecho_transcription_job` DROP FOREIGN KEY `mod_scaiecho_transcription_job_tenant_id_fkey`;
ALTER TABLE `usage_budgets` DROP FOREIGN KEY `usage_budgets_tenant_id_fkey`;
ALTER TABLE `identity_sync_runs` DROP FOREIGN KEY `identity_sync_runs_tenant_id_fkey`;
ALTER TABLE `mod_scaiecho_speaker_profile` DROP FOREIGN KEY `mod_scaiecho_speaker_profile_tenant_id_fkey`;
ALTER TABLE `mod_scaiecho_speaker_consent` DROP FOREIGN KEY `mod_scaiecho_speaker_consent_speaker_id_fkey`;
ALTER TABLE `mod_scaiecho_speaker_erasure` DROP FOREIGN KEY `mod_scaiecho_speaker_erasure_speaker_id_fkey`;

ALTER TABLE `tenants` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `users` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `api_keys` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `audit_log` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `mod_scaiecho_tenant_policy` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `mod_scaiecho_transcription_job` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `usage_daily` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `usage_flush_batches` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `usage_budgets` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `identity_sync_runs` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `retention_purges` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `mod_scaiecho_speaker_profile` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `mod_scaiecho_speaker_consent` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `mod_scaiecho_speaker_erasure` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `mod_scaiecho_erasure_audit` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE `mod_scaiecho_erasure_receipt` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
-- The migrator's bookkeeping too (lib/migrate.ts creates it NO PAD binary from now on).
ALTER TABLE `_prisma_migrations` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;

-- AddForeignKey
ALTER TABLE `users` ADD CONSTRAINT `users_tenant_id_fkey` FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `api_keys` ADD CONSTRAINT `api_keys_tenant_id_fkey` FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `api_keys` ADD CONSTRAINT `api_keys_user_id_fkey` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `mod_scaiecho_tenant_policy` ADD CONSTRAINT `mod_scaiecho_tenant_policy_tenant_id_fkey` FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `mod_scaiecho_transcription_job` ADD CONSTRAINT `mod_scaiecho_transcription_job_tenant_id_fkey` FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `usage_budgets` ADD CONSTRAINT `usage_budgets_tenant_id_fkey` FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `identity_sync_runs` ADD CONSTRAINT `identity_sync_runs_tenant_id_fkey` FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `mod_scaiecho_speaker_profile` ADD CONSTRAINT `mod_scaiecho_speaker_profile_tenant_id_fkey` FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `mod_scaiecho_speaker_consent` ADD CONSTRAINT `mod_scaiecho_speaker_consent_speaker_id_fkey` FOREIGN KEY (`speaker_id`) REFERENCES `mod_scaiecho_speaker_profile`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `mod_scaiecho_speaker_erasure` ADD CONSTRAINT `mod_scaiecho_speaker_erasure_speaker_id_fkey` FOREIGN KEY (`speaker_id`) REFERENCES `mod_scaiecho_speaker_profile`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
