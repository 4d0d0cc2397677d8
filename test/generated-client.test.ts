import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { createClient } from '@hey-api/openapi-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../devstack/ports.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { startScaiEchoStack, type ScaiEchoStack } from './support/scaiecho.js';
import { speak } from './support/speech.js';
import { newTenant, testDb } from './support/stack.js';

const FOX = 'the quick brown fox jumped over the lazy dog';

/**
 * Client code as a project using the generated SDK would write it: it must
 * compile against the generated types, strictly, before it runs.
 */
const CLIENT_CODE = `
import { client } from './client.gen';
import { getJob, transcribe } from './sdk.gen';

export function connect(baseUrl: string, apiKey: string): void {
  client.setConfig({ baseUrl, auth: () => apiKey });
}

export async function submit(audio: Blob): Promise<string> {
  const { data, error, response } = await transcribe({ body: { file: audio, force_async: 'true' } });
  if (response?.status !== 202 || !data) throw new Error(\`not queued: \${response?.status} \${JSON.stringify(error)}\`);
  return data.data.job_id;
}

export async function poll(id: string): Promise<{ status: string; transcript?: string | null }> {
  const { data, error } = await getJob({ path: { id } });
  if (!data) throw new Error(JSON.stringify(error));
  return data.data;
}
`;

interface ClientCode {
  connect(baseUrl: string, apiKey: string): void;
  submit(audio: Blob): Promise<string>;
  poll(id: string): Promise<{ status: string; transcript?: string | null }>;
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

  it('compiles with client code written against it, submits an async transcription as multipart and polls it to the transcript', async () => {
    await createClient({ input: `${s.api.url}/openapi.json`, output: out, logs: { level: 'silent', file: false } });
    fs.writeFileSync(path.join(out, 'client-code.ts'), CLIENT_CODE);

    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const sources = fs.readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const compilerOptions = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'ES2023', '--lib', 'ES2023,DOM', '--module', 'ESNext', '--moduleResolution', 'bundler'];
    const compiled = spawnSync(process.execPath, [tsc, ...compilerOptions, ...sources.map((f) => path.join(out, f))], { encoding: 'utf8' });
    expect(compiled.status, compiled.stdout).toBe(0);

    const code = (await import(path.join(out, 'client-code.ts'))) as ClientCode;
    code.connect(s.api.url, t.apiKey.key);
    const jobId = await code.submit(new Blob([fs.readFileSync(speak(FOX))], { type: 'audio/wav' }));

    let job: Awaited<ReturnType<ClientCode['poll']>> | undefined;
    await waitUntil(
      `job ${jobId} finished`,
      async () => {
        job = await code.poll(jobId);
        return ['completed', 'failed', 'cancelled'].includes(job.status);
      },
      120_000,
    );
    expect(job!.status).toBe('completed');
    expect(job!.transcript).toMatch(/quick brown fox/);
  });
});
