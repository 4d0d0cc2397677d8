import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binary } from '../../devstack/tools.js';

/**
 * What the fuzzer holds every answer to: no 5xx, status codes, content types and
 * bodies as the spec says, and no request that breaks the spec's schema accepted.
 */
const FUZZ_CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
] as const;

/** `npm run fuzz` sets FUZZ_DEPTH=deep; `npm test` runs the bounded depth. */
export const deepFuzz = process.env.FUZZ_DEPTH === 'deep';

/** Test cases per operation and phase. */
const maxExamples = deepFuzz ? 200 : 25;

export interface FuzzRun {
  exitCode: number | null;
  /** schemathesis's report: every failure with a curl line that reproduces it, then the summary */
  output: string;
}

/**
 * Ids of objects that exist, by the path prefix of the operations that take them
 * as `{id}` (read as a regular expression: plain path characters only). Half of
 * the generated cases use one of them, so the fuzzer reaches the handlers behind
 * the 404 and checks real objects against the spec.
 */
export type KnownIds = Record<string, string[]>;

/** schemathesis.toml: a dictionary per path prefix, bound to that path's `id`. */
function configFor(known: KnownIds): string {
  return Object.entries(known)
    .map(([prefix, ids], i) =>
      [
        `[dictionaries.known${i}]`,
        `values = ${JSON.stringify(ids)}`,
        '[[operations]]',
        `include-path-regex = ${JSON.stringify(`^${prefix}`)}`,
        `parameters = { "path.id" = { dictionary = "known${i}", probability = 0.5 } }`,
      ].join('\n'),
    )
    .join('\n\n');
}

/**
 * `schemathesis run` against the live spec at `specUrl`, every request carrying
 * `token`. Runs as a child process so the API, when it is in this process, keeps
 * answering meanwhile.
 */
export async function schemathesis(specUrl: string, token: string, known: KnownIds = {}): Promise<FuzzRun> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-fuzz-'));
  const config = path.join(scratch, 'schemathesis.toml');
  fs.writeFileSync(config, configFor(known));
  const args = [
    '--config-file',
    config,
    'run',
    specUrl,
    '--checks',
    FUZZ_CHECKS.join(','),
    '--header',
    `Authorization: Bearer ${token}`,
    '--max-examples',
    String(maxExamples),
    // stateful: chains of calls along the links schemathesis infers (a key created, then listed, then revoked)
    '--phases',
    'examples,coverage,fuzzing,stateful',
    // Two cores are shared with the API, Temporal and the other suites.
    '--workers',
    '1',
    // Examples found in one run are not replayed in the next: each run stands alone.
    '--generation-database',
    'none',
    // A safety net for a machine under load; a cancel waits up to 15 s for its workflow by design, and a
    // long poll (wave sync) as long as the API's SCAIWAVE_WAVE_SYNC_TIMEOUT_MS, which the caller keeps below this.
    '--request-timeout',
    '30',
    '--no-color',
    // A tar body: schemathesis has no serializer for application/x-tar ("Serialization not possible").
    // The import route's refusals (415, 413, 404, 403, tampered bundles) are tested in test/wave-import.test.ts.
    '--exclude-operation-id',
    'importRoom',
  ];
  const child = spawn(binary('schemathesis'), args, { cwd: scratch, env: { ...process.env, COLUMNS: '120' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (deepFuzz) process.stdout.write(chunk);
    });
  }
  // 'close', not 'exit': only then has all of the output been read.
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  fs.rmSync(scratch, { recursive: true, force: true });
  const output = Buffer.concat(chunks).toString('utf8');
  return { exitCode, output };
}
