import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { createClient } from '@hey-api/openapi-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../devstack/ports.js';
import type { Provisioned } from '../lib/tenancy/provisioning.js';
import { startScaiEchoStack, type JobBody, type ScaiEchoStack } from './support/scaiecho.js';
import { speak } from './support/speech.js';
import { newTenant, testDb } from './support/stack.js';

const FOX = 'the quick brown fox jumped over the lazy dog';

/** The parts of the generated SDK this test calls; the generated code itself is type-checked by tsc below. */
interface GeneratedSdk {
  client: { setConfig(config: { baseUrl: string; auth: () => string }): unknown };
  transcribe(opts: { body: { file: Blob; force_async?: boolean | string; language?: string } }): Promise<SdkResult<JobBody>>;
  getJob(opts: { path: { id: string } }): Promise<SdkResult<JobBody>>;
}
interface SdkResult<T> {
  data?: { success: boolean; data: T };
  error?: unknown;
  response: Response;
}

describe('a TypeScript client generated from the served spec', () => {
  const db = testDb();
  let s: ScaiEchoStack;
  let t: Provisioned;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-client-'));

  beforeAll(async () => {
    s = await startScaiEchoStack();
    t = await newTenant(db);
  });
  afterAll(async () => {
    await s?.stop();
    await db.$disconnect();
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('compiles, submits an async transcription as multipart and polls it to the transcript', async () => {
    await createClient({ input: `${s.api.url}/openapi.json`, output: out, logs: { level: 'silent', file: false } });

    // What a client project would do first: compile the generated code, strictly.
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const generated = fs.readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const compilerOptions = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'ES2023', '--lib', 'ES2023,DOM', '--module', 'ESNext', '--moduleResolution', 'bundler'];
    const compiled = spawnSync(process.execPath, [tsc, ...compilerOptions, ...generated.map((f) => path.join(out, f))], { encoding: 'utf8' });
    expect(compiled.status, compiled.stdout).toBe(0);

    const sdk = { ...(await import(path.join(out, 'sdk.gen.ts'))), ...(await import(path.join(out, 'client.gen.ts'))) } as GeneratedSdk;
    sdk.client.setConfig({ baseUrl: s.api.url, auth: () => t.apiKey.key });

    const audio = new Blob([fs.readFileSync(speak(FOX))], { type: 'audio/wav' });
    const submitted = await sdk.transcribe({ body: { file: audio, force_async: 'true' } });
    expect(submitted.response.status).toBe(202);
    const jobId = submitted.data!.data.job_id;

    let job: JobBody | undefined;
    await waitUntil(`job ${jobId} finished`, async () => {
      const polled = await sdk.getJob({ path: { id: jobId } });
      job = polled.data!.data;
      return ['completed', 'failed', 'cancelled'].includes(job.status);
    }, 120_000);
    expect(job!.status).toBe('completed');
    expect(job!.transcript).toMatch(/quick brown fox/);
  });
});
