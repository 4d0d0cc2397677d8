import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binary } from '../../devstack/tools.js';

/**
 * What the fuzzer holds every answer to: no 5xx, status codes, content types and
 * bodies as the spec says, and no request that breaks the spec's schema accepted.
 */
export const FUZZ_CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
] as const;

export interface FuzzDepth {
  /** test cases per operation and phase */
  maxExamples: number;
  /** stateful: chains of calls along the spec's links (a job created, then read, then cancelled) */
  phases: ('examples' | 'coverage' | 'fuzzing' | 'stateful')[];
}

/** Bounded for `npm test`; `npm run fuzz` sets FUZZ_DEPTH=deep. */
export function fuzzDepth(): FuzzDepth {
  return process.env.FUZZ_DEPTH === 'deep'
    ? { maxExamples: 200, phases: ['examples', 'coverage', 'fuzzing', 'stateful'] }
    : { maxExamples: 10, phases: ['examples', 'coverage', 'fuzzing'] };
}

export interface FuzzRun {
  exitCode: number | null;
  /** schemathesis's report: every failure with a curl line that reproduces it, then the summary */
  output: string;
}

/**
 * `schemathesis run` against the live spec at `specUrl`, every request carrying
 * `token`. Runs as a child process so the API, when it is in this process, keeps
 * answering meanwhile.
 */
export async function schemathesis(specUrl: string, token: string, depth: FuzzDepth): Promise<FuzzRun> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-fuzz-'));
  const args = [
    'run',
    specUrl,
    '--checks',
    FUZZ_CHECKS.join(','),
    '--header',
    `Authorization: Bearer ${token}`,
    '--max-examples',
    String(depth.maxExamples),
    '--phases',
    depth.phases.join(','),
    // Two cores are shared with the API, Temporal and the other suites.
    '--workers',
    '1',
    // Examples found in one run are not replayed in the next: each run stands alone.
    '--generation-database',
    'none',
    '--no-color',
  ];
  const child = spawn(binary('schemathesis'), args, { cwd: scratch, env: { ...process.env, COLUMNS: '120' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  const echo = process.env.FUZZ_DEPTH === 'deep';
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (echo) process.stdout.write(chunk);
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
