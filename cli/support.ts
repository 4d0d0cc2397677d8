import { AppError } from '../lib/errors.js';

// What every command shares: exit codes scripts can rely on, one error type that
// carries its exit code, and output helpers. Kept light (commander and this only),
// because `--help` loads it; connections to the stores live in connections.ts.

export const EXIT = {
  ok: 0,
  /** operational failure: database unreachable, unexpected error */
  failure: 1,
  /** bad arguments (commander's own errors too) */
  usage: 2,
  /** unknown tenant, user or key */
  notFound: 3,
  /** the thing to create already exists */
  conflict: 4,
  /** the run ended but left work undone: an identity sync held back by its guard or failed for a tenant */
  incomplete: 5,
  /** a check does not hold: `scaiwave export verify` found a changed, missing or extra file, or a bad signature; `scaiwave erasure verify` found a trace */
  invalid: 6,
  /** invalid SCAIWAVE_* configuration (loadConfigOrExit, sysexits EX_CONFIG) */
  config: 78,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0   success
  1   operational failure (database unreachable, unexpected error)
  2   usage error (unknown command, bad or missing arguments)
  3   not found (unknown tenant, user or API key)
  4   conflict (already exists, or the object's state forbids it)
  5   incomplete (e.g. an identity sync held back by its guard, or failed, for some tenant)
  6   invalid (a bundle failed verification: a file changed, missing or extra, or a bad signature;
      or an erasure's scan found traces of the user)
  78  invalid SCAIWAVE_* configuration`;

export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const notFound = (message: string): CliError => new CliError(EXIT.notFound, message);
export const conflict = (message: string): CliError => new CliError(EXIT.conflict, message);
export const usage = (message: string): CliError => new CliError(EXIT.usage, message);

const appErrorExit: Partial<Record<AppError['code'], number>> = {
  VALIDATION_ERROR: EXIT.usage,
  NOT_FOUND: EXIT.notFound,
  CONFLICT: EXIT.conflict,
  IMPORT_BUNDLE_INVALID: EXIT.invalid,
  IMPORT_SIGNATURE_INVALID: EXIT.invalid,
  IMPORT_UNTRUSTED_SIGNER: EXIT.invalid,
  IMPORT_TENANT_MISMATCH: EXIT.invalid,
};

/** One line for stderr and the exit code it goes with. */
export function describeError(err: unknown): { exitCode: number; message: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, message: err.message };
  if (err instanceof AppError) return { exitCode: appErrorExit[err.code] ?? EXIT.failure, message: err.code.startsWith('IMPORT_') ? `${err.code}: ${err.message}` : err.message };
  return { exitCode: EXIT.failure, message: oneLine(err) };
}

/** Collapses a multi-line message (driver and Prisma errors span several lines). */
const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

export function oneLine(err: unknown): string {
  // Prisma's own message opens with a source excerpt; the driver's reason is in meta.
  const driver = (err as { meta?: { driverAdapterError?: { cause?: { message?: unknown; cause?: unknown } } } })?.meta
    ?.driverAdapterError?.cause;
  if (driver && typeof driver.message === 'string') {
    return squash(driver.message) + (typeof driver.cause === 'string' ? `: ${squash(driver.cause)}` : '');
  }
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const text = squash(e instanceof Error ? e.message : String(e));
    if (text && !parts.some((p) => p.includes(text))) parts.push(text);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(...lines: string[]): void {
  process.stdout.write(lines.map((l) => `${l}\n`).join(''));
}

/** Left-aligned columns separated by two spaces. */
export function formatTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

export const API_KEY_WARNING =
  'This API key is shown only once and cannot be retrieved later. Store it somewhere safe now.';

/**
 * A command's action, imported only when that command runs: `--help` and usage
 * errors load the command definitions alone, not Prisma, Temporal or the AWS SDK.
 */
export function lazyAction<A extends unknown[]>(load: () => Promise<(...args: A) => Promise<void>>): (...args: A) => Promise<void> {
  return async (...args) => (await load())(...args);
}
