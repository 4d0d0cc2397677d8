-- Who an import trusted (lib/export/import-trust.ts): the key the bundle was
-- signed with, the tenant it was exported from, and what an operator at the
-- CLI waived (--allow-unsigned; a bundle of another tenant), with their name.
-- Rows from before keep false: every import then took only what it verified.
ALTER TABLE `wave_imports`
    ADD COLUMN `signer_fingerprint` CHAR(16) NULL AFTER `signed`,
    ADD COLUMN `source_tenant_id` CHAR(36) NULL AFTER `signer_fingerprint`,
    ADD COLUMN `unsigned_allowed` BOOLEAN NOT NULL DEFAULT false AFTER `source_tenant_id`,
    ADD COLUMN `other_tenant_allowed` BOOLEAN NOT NULL DEFAULT false AFTER `unsigned_allowed`,
    ADD COLUMN `operator` VARCHAR(64) NULL AFTER `other_tenant_allowed`;
