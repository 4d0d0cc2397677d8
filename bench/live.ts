import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { parseWavHeader } from '../lib/audio/wav.js';
import { openLiveCall } from '../lib/scaiinfer/stt/live.js';
import { Environment, type BenchEnv } from './lib/env.js';
import { cpuSpent, readCpu } from './lib/cpu.js';
import { benchOptions } from './lib/options.js';
import { runBench, loadAverage } from './lib/run-bench.js';
import { RssWatch } from './lib/rss.js';
import { fmt, summarize, table } from './lib/stats.js';

// Live transcription (issue 23): concurrent sessions over the API's WebSocket
// (/v1/modules/scaiecho/stream/transcribe), each streaming one spoken phrase
// and a second of silence at speaking pace, beside the same number of live
// calls made straight to the STT node in the same run (the engine's own
// latency: what the API adds is the difference). By default the node runs the
// instant engine, so the figures are our code's and the protocol's; --engine
// whisper measures the reference engines a user meets (partials from
// pocketsphinx, finals from Whisper tiny.en). Latencies: first audio sent → first partial; end of speech
// sent → its final (which includes the node's 500 ms pause that ends an
// utterance). Memory: the API process's RSS with every session open, per
// session. Capacity: sessions one API core holds, from the CPU it spent.
//
//   npm run bench:live -- [--sessions 50] [--rounds 2] [--engine instant]   (--help lists all)
//
// Needs what `npm test` needs. Figures and findings: bench/README.md.

const opt = benchOptions('bench/live.ts', {
  sessions: { default: 50, help: 'concurrent sessions, each way (API and straight to the node)' },
  rounds: { default: 2, help: 'rounds of each, alternating' },
  engine: { default: 'instant', choices: ['instant', 'pocketsphinx', 'whisper'] as const, help: "the STT node's engine" },
});

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const environment = new Environment({ logLevel: 'warn', scaiecho: { nodeCapacity: opt.sessions * 2, nodeEngine: opt.engine }, apiProcess: true, say });
const CHUNK_BYTES = 3200;
const CHUNK_MS = 100;

interface Sample {
  firstPartialMs: number;
  finalMs: number;
}

/** A spoken phrase and a second of silence, as 16 kHz PCM; and where the speech ends. */
function phrase(): { pcm: Buffer; speechBytes: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-live-'));
  const raw = path.join(dir, 'raw.wav');
  const speech = path.join(dir, 'speech.wav');
  const padded = path.join(dir, 'padded.wav');
  execFileSync('flite', ['-voice', 'slt', '-t', 'the quick brown fox jumped over the lazy dog', '-o', raw]);
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', speech]);
  execFileSync('sox', [speech, padded, 'pad', '0', '1']);
  const pcmOf = (file: string): Buffer => {
    const wav = fs.readFileSync(file);
    return wav.subarray(wav.length - parseWavHeader(wav)!.dataBytes);
  };
  const out = { pcm: pcmOf(padded), speechBytes: pcmOf(speech).length };
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

/** Streams the phrase at speaking pace through `write`; answers when audio was first sent and when the speech ended. */
async function pace(pcm: Buffer, speechBytes: number, write: (chunk: Buffer) => void): Promise<{ firstSent: number; speechEnd: number }> {
  const firstSent = performance.now();
  let speechEnd = Number.NaN;
  for (let at = 0; at < pcm.length; at += CHUNK_BYTES) {
    write(pcm.subarray(at, at + CHUNK_BYTES));
    if (Number.isNaN(speechEnd) && at + CHUNK_BYTES >= speechBytes) speechEnd = performance.now();
    await new Promise((r) => setTimeout(r, CHUNK_MS));
  }
  return { firstSent, speechEnd };
}

async function viaApi(env: BenchEnv, audio: ReturnType<typeof phrase>, opened: () => void): Promise<Sample> {
  const ws = new WebSocket(`${env.api.url.replace('http', 'ws')}/v1/modules/scaiecho/stream/transcribe`, { headers: { Authorization: `Bearer ${env.tenant.apiKey.key}` } });
  let firstPartial = Number.NaN;
  let final = Number.NaN;
  const ready = new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { type: string; is_final?: boolean; message?: string };
      if (f.type === 'ready') resolve();
      if (f.type === 'error') reject(new Error(f.message));
      if (f.type === 'delta' && !f.is_final && Number.isNaN(firstPartial)) firstPartial = performance.now();
      if (f.type === 'delta' && f.is_final && Number.isNaN(final)) final = performance.now();
    });
    ws.once('error', reject);
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
  ws.send(JSON.stringify({ type: 'open', sample_rate: 16_000 }));
  await ready;
  opened();
  const t = await pace(audio.pcm, audio.speechBytes, (c) => ws.send(c));
  ws.send(JSON.stringify({ type: 'close' }));
  await closed;
  return { firstPartialMs: firstPartial - t.firstSent, finalMs: final - t.speechEnd };
}

async function direct(env: BenchEnv, audio: ReturnType<typeof phrase>, i: number): Promise<Sample> {
  let firstPartial = Number.NaN;
  let final = Number.NaN;
  const call = openLiveCall({
    address: env.node!.grpcAddress,
    sessionId: `bench-live-${i}`,
    language: 'en',
    sampleRateHz: 16_000,
    onDelta: (d) => {
      if (!d.isFinal && Number.isNaN(firstPartial)) firstPartial = performance.now();
      if (d.isFinal && Number.isNaN(final)) final = performance.now();
    },
    onFailure: () => undefined,
  });
  const t = await pace(audio.pcm, audio.speechBytes, (c) => void call.write(c));
  await call.finish();
  return { firstPartialMs: firstPartial - t.firstSent, finalMs: final - t.speechEnd };
}

async function main(env: BenchEnv): Promise<void> {
  const audio = phrase();
  const apiPgid = environment.processGroups().api;
  if (apiPgid === undefined) throw new Error('no API process');
  const api: Sample[] = [];
  const node: Sample[] = [];
  const perSession: number[] = [];
  const perCore: number[] = [];
  // A real engine loads its model on the first call: that is start-up, not a session's latency.
  await direct(env, audio, -1);
  for (let round = 0; round < opt.rounds; round++) {
    say(`==> round ${round + 1}: ${opt.sessions} sessions through the API (load ${loadAverage()})`);
    const rss = new RssWatch(apiPgid, 100);
    const cpuBefore = readCpu(environment.processGroups(), []);
    const t0 = performance.now();
    let open = 0;
    let memory: ReturnType<RssWatch['stop']> | undefined;
    const allOpen = () => {
      open += 1;
      if (open === opt.sessions) memory = rss.stop();
    };
    api.push(...(await Promise.all(Array.from({ length: opt.sessions }, () => viaApi(env, audio, allOpen)))));
    const wallS = (performance.now() - t0) / 1000;
    const apiCpu = cpuSpent(cpuBefore, readCpu(environment.processGroups(), [])).find(([n]) => n === 'api')?.[1] ?? Number.NaN;
    memory ??= rss.stop();
    perSession.push((memory.after - memory.before) / opt.sessions);
    perCore.push(opt.sessions / (apiCpu / wallS));
    say(`==> round ${round + 1}: ${opt.sessions} live calls straight to the node (load ${loadAverage()})`);
    node.push(...(await Promise.all(Array.from({ length: opt.sessions }, (_, i) => direct(env, audio, i)))));
  }
  const ms = (n: number) => `${fmt(n, 0)} ms`;
  const row = (label: string, samples: Sample[], pick: (s: Sample) => number) => {
    const v = summarize(samples.map(pick).filter((x) => !Number.isNaN(x)));
    return [label, ms(v.p50), ms(v.p99), String(v.n)];
  };
  say(`\n${opt.sessions} concurrent sessions × ${opt.rounds} rounds, ${os.cpus().length} cores (shared machine), ${opt.engine} engine on the node`);
  say(
    table([
      ['latency', 'p50', 'p99', 'samples'],
      row('first partial, through the API', api, (s) => s.firstPartialMs),
      row('first partial, straight to the node', node, (s) => s.firstPartialMs),
      row('end of speech → final, through the API', api, (s) => s.finalMs),
      row('end of speech → final, straight to the node', node, (s) => s.finalMs),
    ]),
  );
  say(
    table([
      ['API process', ...perSession.map((_, i) => `round ${i + 1}`)],
      ['RSS per open session (MiB)', ...perSession.map((v) => fmt(v, 2))],
      ['sessions held per API core (from its CPU over the round)', ...perCore.map((v) => fmt(v, 0))],
    ]),
  );
}

await runBench(environment, say, `live bench: ${opt.sessions} concurrent sessions, ${opt.rounds} rounds`, main);
