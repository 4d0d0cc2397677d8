import { createPublicKey } from 'node:crypto';
import type { Config } from '../../lib/config.js';
import type { BundleProblem, BundleReport } from './bundle-reader.js';
import { BUNDLE_PATHS } from './format.js';
import { keyFingerprint, parseSigningKey, publicKeyList } from '../../lib/ed25519-keys.js';

// Which bundles an import takes. A bundle's checksums prove only that its files
// are the ones its manifest lists; anyone can write a manifest, re-hash it and
// leave manifest.sig out, or sign it with a key of their own. So what ties a
// bundle to a deployment is the signature, and an import takes a bundle only
// when it holds for a key this deployment trusts: its own export key (a room
// exported here and brought back) and the keys an operator names in
// SCAIWAVE_IMPORT_PUBLIC_KEY (other deployments' exports). A bundle's tenant
// must be the importer's: the same deployment signs every tenant's exports,
// so a good signature says nothing of whose room it was.
//
// Both checks need only manifest.json and manifest.sig, the archive's first two
// entries, so the API and the CLI judge a bundle as it streams in and refuse it
// before anything of it is stored (domains/export/bundle-head.ts); the workflow
// judges again, under the same rules, when it reads the whole bundle.
//
// Only an operator at the CLI may waive them (`--allow-unsigned`, `--tenant`
// naming the target of a bundle from another tenant), and the import row and
// the audit log say who did.

/** What the importer has waived; both false for every API caller. */
export interface ImportWaivers {
  /** an operator's --allow-unsigned: an unsigned bundle, or one signed by an untrusted key, is taken (a signature present must still hold) */
  unsigned: boolean;
  /** an operator importing into a tenant they named: a bundle of another tenant is taken */
  otherTenant: boolean;
}

export const NO_WAIVERS: ImportWaivers = { unsigned: false, otherTenant: false };

/** The keys a bundle may be signed with here (SPKI DER): this deployment's own export key's, then SCAIWAVE_IMPORT_PUBLIC_KEY's. */
export function trustedImportKeys(env: Pick<Config['env'], 'SCAIWAVE_EXPORT_SIGNING_KEY' | 'SCAIWAVE_IMPORT_PUBLIC_KEY'>): Buffer[] {
  const own = env.SCAIWAVE_EXPORT_SIGNING_KEY ? [createPublicKey(parseSigningKey(env.SCAIWAVE_EXPORT_SIGNING_KEY)).export({ format: 'der', type: 'spki' })] : [];
  return [...own, ...(env.SCAIWAVE_IMPORT_PUBLIC_KEY ? publicKeyList(env.SCAIWAVE_IMPORT_PUBLIC_KEY) : [])];
}

/** The keys an import must check the signature against: none to check when the operator waived it. */
export const keysToCheck = (trusted: readonly Buffer[], waivers: ImportWaivers): readonly Buffer[] | undefined => (waivers.unsigned ? undefined : trusted);

type RefusalCode = 'IMPORT_BUNDLE_INVALID' | 'IMPORT_SIGNATURE_INVALID' | 'IMPORT_UNTRUSTED_SIGNER' | 'IMPORT_TENANT_MISMATCH';

export interface Refusal {
  code: RefusalCode;
  message: string;
  problems: BundleProblem[];
}

const SIGNATURE_CODES: ReadonlySet<BundleProblem['code']> = new Set(['signature_invalid', 'signature_missing', 'signature_key']);

/**
 * Why a bundle whose head (manifest and signature) read as `report` is not
 * imported into `tenantId`; null when it may be. `report` comes from reading
 * with keysToCheck(trusted, waivers) as the trusted keys; problems of the
 * files after the head are not this function's (the import lists them).
 */
export function refusalOf(report: Pick<BundleReport, 'manifest' | 'signer' | 'problems'>, tenantId: string, trusted: readonly Buffer[], waivers: ImportWaivers): Refusal | null {
  const head = report.problems.filter((p) => p.path === null || p.path === BUNDLE_PATHS.manifest || p.path === BUNDLE_PATHS.signature);
  const invalid = head.filter((p) => !SIGNATURE_CODES.has(p.code));
  if (!report.manifest || invalid.length > 0) {
    return { code: 'IMPORT_BUNDLE_INVALID', message: `not a room bundle (${invalid[0]?.message ?? 'manifest.json could not be read'})`, problems: invalid };
  }
  const missing = head.filter((p) => p.code === 'signature_missing');
  if (missing.length > 0) {
    const keys = trusted.length === 0 ? 'this deployment trusts no signing key yet (SCAIWAVE_EXPORT_SIGNING_KEY, SCAIWAVE_IMPORT_PUBLIC_KEY)' : `it must be signed by ${trusted.map(keyFingerprint).join(' or ')}`;
    return { code: 'IMPORT_SIGNATURE_INVALID', message: `the bundle is not signed: ${keys}`, problems: missing };
  }
  const broken = head.filter((p) => p.code === 'signature_invalid');
  if (broken.length > 0) {
    return { code: 'IMPORT_SIGNATURE_INVALID', message: 'the bundle’s signature does not hold: manifest.json was changed after it was signed, or manifest.sig is not a signature', problems: broken };
  }
  const untrusted = head.filter((p) => p.code === 'signature_key');
  if (untrusted.length > 0) {
    return { code: 'IMPORT_UNTRUSTED_SIGNER', message: `the bundle is signed by key ${report.signer!.fingerprint}, which this deployment does not trust`, problems: untrusted };
  }
  if (report.manifest.tenant.id !== tenantId && !waivers.otherTenant) {
    const problem: BundleProblem = { code: 'other_tenant', path: BUNDLE_PATHS.manifest, message: `manifest.json: exported from tenant ${report.manifest.tenant.slug}, not this one` };
    return { code: 'IMPORT_TENANT_MISMATCH', message: `the bundle was exported from another tenant (${report.manifest.tenant.slug}); only an operator may import it, into a tenant they name`, problems: [problem] };
  }
  return null;
}
