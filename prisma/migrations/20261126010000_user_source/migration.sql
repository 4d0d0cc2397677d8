-- Who manages each user (issue 8, defect 7). `scaikey`: identity sync adds, updates and
-- deactivates it. `local`: made here (the bootstrap admin, service accounts, users created by
-- the CLI); sync never touches it. Existing rows become `scaikey`, which is how sync has treated
-- them so far: marking them local would silently stop offboarding departed employees. An
-- operator marks a local account with `scaiwave admin set-user-source … local` (README).
-- The column default also covers rows written by pods older than this migration.
ALTER TABLE `users` ADD COLUMN `source` VARCHAR(16) NOT NULL DEFAULT 'scaikey';

-- Directory entries left alone because their subject is a local user's, and the progress
-- `scaiwave sync` prints while a run works.
ALTER TABLE `identity_sync_runs`
    ADD COLUMN `skipped_local` INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN `users_read` INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN `users_applied` INTEGER NOT NULL DEFAULT 0;
