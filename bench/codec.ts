import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { createPayloadSealing } from '../lib/codec/data-converter.js';
import { isSealed } from '../lib/codec/payload-codec.js';
import { mapPayloadsIn } from '../lib/codec/open-payloads.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { Environment, type BenchEnv } from './lib/env.js';
import { wholeNumberOptions } from './lib/options.js';
import { runBench } from './lib/run-bench.js';
import { fmt, summarize, table } from './lib/stats.js';
import { toneWav } from './lib/wav.js';

// The payload codec's cost (issue 22). Per payload: JSON conversion alone (no
// codec: what every payload costs anyway) beside conversion plus the codec's
// encode and decode, for a 1 KB and a 1 MB value, in the same run, keys
// cached as in a running worker. Per job: real async transcription jobs
// through the API and the worker (a node with the instant engine), every
// sealed payload of their histories counted (the SDK core writes its own
// markers, patch and local activity ids, in clear), and the codec's time for those payloads
// beside the job's own time from submit to done.
//
//   npm run bench:codec -- [--iterations 2000] [--big-iterations 50] [--jobs 20]   (--help lists all)
//
// Needs what `npm test` needs. Figures and findings: bench/README.md.

const opt = wholeNumberOptions('bench/codec.ts', {
  iterations: { default: 2000, help: 'encode+decode round trips of the 1 KB payload, each way' },
  'big-iterations': { default: 50, help: 'round trips of the 1 MB payload, each way' },
  jobs: { default: 20, help: 'async transcription jobs whose histories are counted' },
});

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const environment = new Environment({ logLevel: 'warn', scaiecho: { nodeCapacity: 4 }, say });
const us = (ms: number): string => `${fmt(ms * 1000, 1)} µs`;

function valueOf(bytes: number): { tenantId: string; text: string } {
  return { tenantId: 'bench-tenant', text: randomBytes(Math.ceil(bytes * 0.75)).toString('base64').slice(0, bytes) };
}

type Sealing = ReturnType<typeof createPayloadSealing>;

/** ms per round trip: value → payload → value, with or without the codec between. */
async function roundTrips(sealing: Sealing | null, value: unknown, n: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    let p: Payload = defaultPayloadConverter.toPayload(value);
    if (sealing) [p] = (await sealing.codec.decode(await sealing.codec.encode([p]))) as [Payload];
    defaultPayloadConverter.fromPayload(p);
    samples.push(performance.now() - t0);
  }
  return samples;
}

async function jobs(env: BenchEnv, n: number): Promise<{ totalMs: number[]; payloads: number[]; bytes: number[]; clear: number[] }> {
  const wav = toneWav(1000);
  const out = { totalMs: [] as number[], payloads: [] as number[], bytes: [] as number[], clear: [] as number[] };
  for (let i = 0; i < n; i++) {
    const form = new FormData();
    form.append('force_async', 'true');
    form.append('file', new Blob([wav], { type: 'audio/wav' }), 'bench.wav');
    const t0 = performance.now();
    const res = await fetch(`${env.api.url}/v1/modules/scaiecho/transcribe`, { method: 'POST', headers: { Authorization: `Bearer ${env.tenant.apiKey.key}` }, body: form });
    const body = (await res.json()) as { data?: { job_id: string } };
    if (res.status !== 202 || !body.data) throw new Error(`transcribe answered ${res.status}`);
    const handle = env.api.deps.temporal.workflow.getHandle(workflowIds.transcribe(body.data.job_id));
    await handle.result();
    out.totalMs.push(performance.now() - t0);
    let payloads = 0;
    let clear = 0;
    let bytes = 0;
    await mapPayloadsIn(await handle.fetchHistory(), async (p) => {
      if (!isSealed(p)) {
        clear += 1;
        return undefined;
      }
      payloads += 1;
      bytes += p.data?.byteLength ?? 0;
      return undefined;
    });
    out.clear.push(clear);
    out.payloads.push(payloads);
    out.bytes.push(bytes);
  }
  return out;
}

async function main(env: BenchEnv): Promise<void> {
  const sealing = createPayloadSealing(env.config);
  try {
    const small = valueOf(1024);
    const big = valueOf(1024 * 1024);
    // Warm: the scope's key made and cached, the code paths compiled.
    await roundTrips(sealing, small, 200);
    await roundTrips(null, small, 200);
    say('\n==> per payload (alternating plain and sealed runs)');
    const plainSmall: number[] = [];
    const sealedSmall: number[] = [];
    const plainBig: number[] = [];
    const sealedBig: number[] = [];
    for (let round = 0; round < 4; round++) {
      plainSmall.push(...(await roundTrips(null, small, opt.iterations / 4)));
      sealedSmall.push(...(await roundTrips(sealing, small, opt.iterations / 4)));
      plainBig.push(...(await roundTrips(null, big, Math.max(1, opt['big-iterations'] / 4))));
      sealedBig.push(...(await roundTrips(sealing, big, Math.max(1, opt['big-iterations'] / 4))));
    }
    const row = (label: string, plain: number[], sealed: number[]) => {
      const [p, s] = [summarize(plain), summarize(sealed)];
      return [label, us(p.p50), us(s.p50), us(s.p50 - p.p50), us(p.p99), us(s.p99)];
    };
    say(
      table([
        ['payload', 'no codec p50', 'codec p50', 'codec adds (p50)', 'no codec p99', 'codec p99'],
        row('1 KB', plainSmall, sealedSmall),
        row('1 MB', plainBig, sealedBig),
      ]),
    );
    const perSmall = summarize(sealedSmall).p50 - summarize(plainSmall).p50;
    const perBig = summarize(sealedBig).p50 - summarize(plainBig).p50;

    say(`\n==> ${opt.jobs} async transcription jobs through the API and the worker, one at a time`);
    const j = await jobs(env, opt.jobs);
    const payloads = summarize(j.payloads).p50;
    const bytes = summarize(j.bytes).p50;
    // Each payload is encoded once by whoever wrote it and decoded once by whoever reads it.
    const perByte = (perBig - perSmall) / (1024 * 1024 - 1024);
    const codecMs = payloads * perSmall + Math.max(0, bytes - payloads * 1024) * perByte;
    const jobP50 = summarize(j.totalMs).p50;
    say(
      table([
        ['figure', 'value'],
        ['sealed payloads in a job history (p50)', fmt(payloads, 0)],
        ['their bytes (p50)', fmt(bytes, 0)],
        ["in clear: the SDK core's own markers (patch ids, local activity ids), p50", fmt(summarize(j.clear).p50, 0)],
        ['job, submit to result (p50)', `${fmt(jobP50, 1)} ms`],
        ["codec's time for those payloads (from the per-payload figures)", `${fmt(codecMs, 3)} ms (${fmt((codecMs / jobP50) * 100, 2)} % of the job)`],
      ]),
    );
  } finally {
    await sealing.close();
  }
}

await runBench(environment, say, `codec bench: ${opt.iterations} round trips of 1 KB and ${opt['big-iterations']} of 1 MB, ${opt.jobs} jobs`, main);
