import { readFile, stat } from 'node:fs/promises';
import type { CheckedFile } from '../../domains/export/bundle-reader.js';
import { publicKeyDer } from '../../lib/ed25519-keys.js';
import { verifyBundleFile, type Verification } from '../../domains/export/verify.js';
import { CliError, EXIT, notFound, print, printJson, usage } from '../support.js';

// What `scaiwave export verify` does (arguments and help: commands/export.ts):
// one streaming pass over the bundle; a line per file as it is hashed, then the
// problems and a summary. Any problem exits 6 (EXIT.invalid) with every file named.

/** the stderr line names this many files; stdout lists every problem */
const NAMED_ON_STDERR = 10;

const n = (v: number): string => v.toLocaleString('en-US');

/** --public-key is a key or a file holding one (PEM, base64 DER, or raw DER); the key as text readBundle takes. */
async function resolvePublicKey(value: string): Promise<string> {
  const isFile = await stat(value).then((s) => s.isFile(), () => false);
  let text = value;
  if (isFile) {
    const bytes = await readFile(value);
    const asText = bytes.toString('utf8');
    text = asText.includes('-----BEGIN') || /^[A-Za-z0-9+/=\s]+$/.test(asText) ? asText : bytes.toString('base64');
  }
  try {
    publicKeyDer(text);
  } catch (err) {
    const what = isFile ? `the file ${value} holds no` : `"${value}" is neither a file nor an`;
    throw usage(`--public-key: ${what} Ed25519 public key in PEM or base64 SPKI DER (${(err as Error).message})`);
  }
  return text;
}

const fileLine = (f: CheckedFile): string => `${f.ok ? 'ok    ' : 'FAILED'}  ${f.path}  (${n(f.bytes)} bytes)`;

function summary(v: Verification): string {
  const m = v.manifest;
  if (!m) return `${n(v.files.length)} files checked; no readable manifest.`;
  const since = m.range.since ?? "the room's beginning";
  const signed = v.signer ? `signed by key ${v.signer.fingerprint}` : 'not signed';
  return (
    `${n(v.files.length)} of ${n(m.files.length)} files, ${n(v.bytes)} bytes, ${n(m.counts.messages)} messages ` +
    `(room ${m.room.id} of ${m.tenant.slug}/${m.workspace.slug}, created in [${since}, ${m.range.until})), ` +
    `export ${m.exportId} of ${m.createdAt}, ${signed}.`
  );
}

export async function verifyCommand(file: string, opts: { publicKey?: string; json?: boolean }): Promise<void> {
  const publicKey = opts.publicKey === undefined ? undefined : await resolvePublicKey(opts.publicKey);
  let v: Verification;
  try {
    v = await verifyBundleFile(file, { publicKey, onChecked: opts.json ? undefined : (f) => print(fileLine(f)) });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw notFound(`${file}: no such file`);
    if (code === 'EISDIR' || code === 'EACCES') throw new CliError(EXIT.failure, `${file}: cannot read it (${code})`);
    throw err;
  }
  if (opts.json) {
    printJson({
      file,
      ok: v.ok,
      exportId: v.manifest?.exportId ?? null,
      messages: v.manifest?.counts.messages ?? null,
      bytes: v.bytes,
      signer: v.signer,
      files: v.files,
      problems: v.problems,
    });
  } else {
    if (v.problems.length > 0) print('', 'Problems:', ...v.problems.map((p) => `  ${p.message}`));
    print('', `${v.ok ? 'The bundle holds' : 'The bundle does NOT hold'}: ${summary(v)}`);
  }
  if (!v.ok) {
    const named = [...new Set(v.problems.map((p) => p.path ?? '(the archive)'))];
    const list = named.length > NAMED_ON_STDERR ? `${named.slice(0, NAMED_ON_STDERR).join(', ')} and ${n(named.length - NAMED_ON_STDERR)} more` : named.join(', ');
    throw new CliError(EXIT.invalid, `${file} does not hold: ${n(v.problems.length)} problem(s), in ${list}`);
  }
}
