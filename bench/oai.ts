import { performance } from 'node:perf_hooks';
import { Environment, type BenchEnv } from './lib/env.js';
import { wholeNumberOptions } from './lib/options.js';
import { runBench } from './lib/run-bench.js';
import { fmt, ms, summarize, table, type Summary } from './lib/stats.js';
import { toneWav } from './lib/wav.js';

// The OpenAI-compatible route's cost over the native sync route it goes
// through (issue 24): the same WAV sent to POST /oai/v1/audio/transcriptions
// (json) and to POST /v1/modules/scaiecho/transcribe, one request at a time,
// the two interleaved so that whatever else the machine does weighs on both
// alike. The STT node runs the instant engine, so the figures are our code's,
// not an engine's. The API runs as a process of its own.
//
//   npm run bench:oai -- [--requests 300] [--warmup 30] [--audio-ms 1000]   (--help lists all)
//
// Needs what `npm test` needs. Figures: bench/README.md.

const opt = wholeNumberOptions('bench/oai.ts', {
  requests: { default: 300, help: 'requests to each route, counted' },
  warmup: { default: 30, help: 'requests to each route first, not counted' },
  'audio-ms': { default: 1000, help: 'length of the uploaded WAV (16 kHz mono 16-bit)' },
});

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const environment = new Environment({ logLevel: 'warn', scaiecho: { nodeCapacity: 4 }, apiProcess: true, say });

type Route = 'native' | 'oai';

const ROUTES: Record<Route, { path: string; fields: Record<string, string> }> = {
  native: { path: '/v1/modules/scaiecho/transcribe', fields: {} },
  oai: { path: '/oai/v1/audio/transcriptions', fields: { model: 'whisper-1', response_format: 'json' } },
};

async function once(env: BenchEnv, route: Route, audio: Uint8Array): Promise<number> {
  const form = new FormData();
  for (const [k, v] of Object.entries(ROUTES[route].fields)) form.append(k, v);
  form.append('file', new Blob([audio as Uint8Array<ArrayBuffer>], { type: 'audio/wav' }), 'bench.wav');
  const t0 = performance.now();
  const res = await fetch(`${env.api.url}${ROUTES[route].path}`, { method: 'POST', headers: { Authorization: `Bearer ${env.tenant.apiKey.key}` }, body: form });
  const body = await res.text();
  const elapsed = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${route}: ${res.status} ${body}`);
  return elapsed;
}

const overhead = (oai: number, native: number): string => `${fmt(((oai - native) / native) * 100, 1)} %`;

await runBench(environment, say, `OpenAI-compatible route vs native sync route, ${opt.requests} requests each, ${opt['audio-ms']} ms WAV`, async (env) => {
  const audio = toneWav(opt['audio-ms']);
  const samples: Record<Route, number[]> = { native: [], oai: [] };
  for (let i = 0; i < opt.warmup + opt.requests; i++) {
    // Alternating which goes first, so neither always follows the other's garbage.
    const order: Route[] = i % 2 === 0 ? ['native', 'oai'] : ['oai', 'native'];
    for (const route of order) {
      const t = await once(env, route, audio);
      if (i >= opt.warmup) samples[route].push(t);
    }
  }
  const native: Summary = summarize(samples.native);
  const oai: Summary = summarize(samples.oai);
  say('');
  say(
    table([
      ['route', 'p50', 'p99', 'mean'],
      ['POST /v1/modules/scaiecho/transcribe (native, sync)', ms(native.p50), ms(native.p99), ms(native.mean)],
      ['POST /oai/v1/audio/transcriptions (json)', ms(oai.p50), ms(oai.p99), ms(oai.mean)],
      ['overhead of the OAI route', overhead(oai.p50, native.p50), overhead(oai.p99, native.p99), overhead(oai.mean, native.mean)],
    ]),
  );
});
