import fs from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitUntil } from '../devstack/ports.js';
import type { ManagedProcess } from '../devstack/process.js';
import { INSTANT_TEXT } from '../devstack/stt/engine.js';
import type { FaultMode } from '../devstack/stt/faults.js';
import { startSttNodeProcess } from '../devstack/stt-node/process.js';
import { startSttRelayProcess } from '../devstack/stt-relay/process.js';
import type { BackendErrorCode } from '../lib/failure-codes.js';
import { BackendError, type BackendErrorKind } from '../lib/scaiinfer/stt/errors.js';
import { createRelayDispatcher } from '../lib/scaiinfer/stt/relay.js';
import { createScaiInferDispatcher, type ScaiInferDispatcher } from '../lib/scaiinfer/stt/scaiinfer.js';
import type { DispatchInput, SttDispatcher, TranscriptionResult } from '../lib/scaiinfer/stt/types.js';
import { convert, durationMs, speak, type Voice } from './support/speech.js';

// Both STT backends end to end: the reference node and relay as separate
// processes doing real recognition, reached only through the product dispatchers.

const PHRASE = 'the quick brown fox jumped over the lazy dog';
const KEY_WORDS = ['quick', 'brown', 'fox', 'lazy', 'dog'];
const RELAY_KEY = `relay-test-${randomBytes(6).toString('hex')}`;
const RELAY_MAX_BYTES = 1024 * 1024;
const SHORT_DEADLINE_MS = 2000;
const logDir = process.env.SCAIWAVE_TEST_LOG_DIR ?? os.tmpdir();

interface Backend {
  dispatcher: SttDispatcher;
  /** Same backend, same address, but a deadline short enough to wait out in a test. */
  impatient: SttDispatcher;
  adminUrl: string;
}

async function setFault(adminUrl: string, mode: FaultMode, count?: number): Promise<void> {
  const res = await fetch(`${adminUrl}/admin/fault`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode, count }),
  });
  expect(res.status).toBe(200);
}

async function stats(adminUrl: string): Promise<Record<string, number | string>> {
  return (await (await fetch(`${adminUrl}/stats`)).json()) as Record<string, number | string>;
}

const input = (file: string, extra: Partial<DispatchInput> = {}): DispatchInput => ({
  jobId: `job-${randomBytes(4).toString('hex')}`,
  // Small chunks, so a recording really goes out as a stream of several.
  audio: fs.createReadStream(file, { highWaterMark: 16 * 1024 }),
  format: file.split('.').at(-1)!,
  language: 'en',
  ...extra,
});

async function* bytes(buf: Uint8Array): AsyncIterable<Uint8Array> {
  yield buf;
}

/** A live source: the first part of a recording, then nothing more for as long as anyone waits. */
async function* stuckAfter(buf: Uint8Array): AsyncIterable<Uint8Array> {
  yield buf;
  await new Promise(() => {});
}

async function* failingAfter(buf: Uint8Array, err: Error): AsyncIterable<Uint8Array> {
  yield buf;
  throw err;
}

async function expectBackendError(p: Promise<unknown>, kind: BackendErrorKind, code: BackendErrorCode): Promise<BackendError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BackendError);
  expect(err).toMatchObject({ kind, code });
  return err as BackendError;
}

function expectPhrase(r: TranscriptionResult, file: string): void {
  const words = r.text.toLowerCase().split(/\s+/);
  for (const w of KEY_WORDS) expect(words, r.text).toContain(w);
  expect(r.language).toBe('en');
  expect(Math.abs(r.audioDurationMs - durationMs(file))).toBeLessThanOrEqual(50);
  expect(r.segments.length).toBeGreaterThan(0);
  expect(r.segments.map((s) => s.text).join(' ')).toBe(r.text);
  let previousEnd = 0;
  for (const s of r.segments) {
    expect(s.start_ms).toBeGreaterThanOrEqual(previousEnd);
    expect(s.end_ms).toBeGreaterThan(s.start_ms);
    expect(s.end_ms).toBeLessThanOrEqual(r.audioDurationMs);
    previousEnd = s.end_ms;
  }
}

/** Records what the node sends to the platform registry, in place of the API route. */
function startRegistryRecorder(): Promise<{ url: string; calls: { method: string; path: string; auth: string; body: unknown }[]; server: Server }> {
  const calls: { method: string; path: string; auth: string; body: unknown }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (s: string) => (body += s));
    req.on('end', () => {
      calls.push({ method: req.method ?? '', path: req.url ?? '', auth: req.headers.authorization ?? '', body: body ? JSON.parse(body) : undefined });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server })),
  );
}

describe('STT backends A (ScaiInfer node, gRPC) and B (managed relay, REST)', () => {
  const procs: ManagedProcess[] = [];
  const closers: ScaiInferDispatcher[] = [];
  const backends = {} as Record<'A' | 'B', Backend>;
  let voices: Record<Voice | 'slt-flac', string>;
  let garbage: string;
  let relayUrl: string;

  beforeAll(async () => {
    // Nobody listens here: heartbeats fail and are retried, and must never stop the node.
    const deadRegistry = `http://127.0.0.1:${await freePort()}`;
    const [node, relay] = await Promise.all([
      startSttNodeProcess({
        nodeId: `stt-test-${randomBytes(3).toString('hex')}`,
        engine: 'pocketsphinx',
        registryUrl: deadRegistry,
        registryToken: 'test-token',
        heartbeatMs: 300,
        logDir,
      }),
      startSttRelayProcess({ apiKeys: ['other-key', RELAY_KEY], engine: 'pocketsphinx', maxBytes: RELAY_MAX_BYTES, logDir }),
    ]);
    procs.push(node.process, relay.process);
    relayUrl = relay.url;

    const a = createScaiInferDispatcher({ address: node.grpcAddress, deadlineMs: 30_000 });
    const aImpatient = createScaiInferDispatcher({ address: node.grpcAddress, deadlineMs: SHORT_DEADLINE_MS });
    closers.push(a, aImpatient);
    backends.A = { dispatcher: a, impatient: aImpatient, adminUrl: node.adminUrl };
    backends.B = {
      dispatcher: createRelayDispatcher({ url: relay.url, apiKey: RELAY_KEY, timeoutMs: 30_000 }),
      impatient: createRelayDispatcher({ url: relay.url, apiKey: RELAY_KEY, timeoutMs: SHORT_DEADLINE_MS }),
      adminUrl: relay.adminUrl,
    };

    const slt = speak(PHRASE, 'slt');
    voices = { slt, rms: speak(PHRASE, 'rms'), awb: speak(PHRASE, 'awb'), 'slt-flac': convert(slt, 'flac') };
    garbage = `${slt}.garbage.wav`;
    fs.writeFileSync(garbage, randomBytes(20_000));
  });

  afterAll(async () => {
    for (const d of closers) d.close();
    await Promise.all(procs.map((p) => p.stop(5000)));
  });

  for (const id of ['A', 'B'] as const) {
    describe(`backend ${id}`, () => {
      const b = (): Backend => backends[id];

      it.each(['slt', 'rms', 'slt-flac'] as const)('transcribes "%s" speech with ordered segment timings', async (voice) => {
        const progress: { chunksSent: number; deltas: number }[] = [];
        const r = await b().dispatcher.transcribe(input(voices[voice], { onProgress: (p) => progress.push(p) }));
        expectPhrase(r, voices[voice]);
        expect(progress.at(-1)!.chunksSent).toBeGreaterThan(1);
        if (id === 'A') {
          // The node streams a delta per segment before the result.
          expect(progress.at(-1)!.deltas).toBe(r.segments.length);
          expect(r.engineMs).toBeGreaterThan(0);
        } else {
          expect(r.engineMs).toBeNull();
        }
      });

      it('reports bytes that are not audio as permanent AUDIO_UNDECODABLE', async () => {
        await expectBackendError(b().dispatcher.transcribe(input(garbage)), 'permanent', 'AUDIO_UNDECODABLE');
      });

      it('fails transiently while the fault switch says fail, and serves again once it says ok', async () => {
        await setFault(b().adminUrl, 'fail');
        try {
          await expectBackendError(b().dispatcher.transcribe(input(voices.awb)), 'transient', 'BACKEND_UNAVAILABLE');
          await expectBackendError(b().dispatcher.transcribe(input(voices.awb)), 'transient', 'BACKEND_UNAVAILABLE');
        } finally {
          await setFault(b().adminUrl, 'ok');
        }
        expectPhrase(await b().dispatcher.transcribe(input(voices.awb)), voices.awb);

        // With a count, the switch turns itself back to ok.
        await setFault(b().adminUrl, 'fail', 1);
        await expectBackendError(b().dispatcher.transcribe(input(voices.slt)), 'transient', 'BACKEND_UNAVAILABLE');
        expectPhrase(await b().dispatcher.transcribe(input(voices.slt)), voices.slt);
        expect((await stats(b().adminUrl)).fault_mode).toBe('ok');
      });

      it('gives up on a stalled backend at its deadline with transient BACKEND_TIMEOUT', async () => {
        await setFault(b().adminUrl, 'stall');
        try {
          const started = performance.now();
          await expectBackendError(b().impatient.transcribe(input(voices.slt)), 'transient', 'BACKEND_TIMEOUT');
          const elapsed = performance.now() - started;
          expect(elapsed).toBeGreaterThanOrEqual(SHORT_DEADLINE_MS - 50);
          expect(elapsed).toBeLessThan(SHORT_DEADLINE_MS + 500);
          // The server noticed the caller leaving and let go of the call.
          await waitUntil('stalled call released', async () => (await stats(b().adminUrl)).in_flight === 0, 5000);
        } finally {
          await setFault(b().adminUrl, 'ok');
        }
      });

      it('reports an offline backend as transient BACKEND_UNAVAILABLE and works again at the same address', async () => {
        // The first call opens the connection that going offline then cuts.
        await b().dispatcher.transcribe(input(voices.slt));
        await setFault(b().adminUrl, 'offline');
        try {
          await expectBackendError(b().dispatcher.transcribe(input(voices.slt)), 'transient', 'BACKEND_UNAVAILABLE');
          await expectBackendError(b().dispatcher.transcribe(input(voices.slt)), 'transient', 'BACKEND_UNAVAILABLE');
        } finally {
          await setFault(b().adminUrl, 'ok');
        }
        expectPhrase(await b().dispatcher.transcribe(input(voices.slt)), voices.slt);
      });

      it('ends the call promptly when the caller aborts mid-call', async () => {
        const controller = new AbortController();
        const reason = new Error('caller cancelled');
        let abortedAt = 0;
        setTimeout(() => {
          abortedAt = performance.now();
          controller.abort(reason);
        }, 400);
        // pocketsphinx is still loading its model when the abort comes.
        const err = await b()
          .dispatcher.transcribe(input(voices.slt, { signal: controller.signal }))
          .then(() => undefined, (e: unknown) => e);
        expect(err).toBe(reason);
        expect(performance.now() - abortedAt).toBeLessThan(200);
        await waitUntil('aborted call released', async () => (await stats(b().adminUrl)).in_flight === 0, 5000);
        // An already aborted signal does not even start a call.
        await expect(b().dispatcher.transcribe(input(voices.slt, { signal: AbortSignal.abort(reason) }))).rejects.toBe(reason);
      });

      it('passes on a failure of the audio source, and ends promptly on an abort while the source is stuck', async () => {
        const head = fs.readFileSync(voices.slt).subarray(0, 8192);
        const diskGone = new Error('disk gone');
        await expect(b().dispatcher.transcribe({ ...input(voices.slt), audio: failingAfter(head, diskGone) })).rejects.toBe(diskGone);

        const started = performance.now();
        const stuck = b().dispatcher.transcribe({ ...input(voices.slt), audio: stuckAfter(head), signal: AbortSignal.timeout(300) });
        await expect(stuck).rejects.toMatchObject({ name: 'TimeoutError' });
        expect(performance.now() - started).toBeLessThan(600);
        await waitUntil('abandoned call released', async () => (await stats(b().adminUrl)).in_flight === 0, 5000);
      });
    });
  }

  it('relay: a wrong API key is permanent BACKEND_REJECTED', async () => {
    const wrongKey = createRelayDispatcher({ url: relayUrl, apiKey: 'not-a-key', timeoutMs: 30_000 });
    await expectBackendError(wrongKey.transcribe(input(voices.slt)), 'permanent', 'BACKEND_REJECTED');
    expect((await stats(backends.B.adminUrl)).unauthorized).toBeGreaterThan(0);
  });

  it('relay: audio over its size cap is permanent AUDIO_TOO_LARGE', async () => {
    const big = randomBytes(RELAY_MAX_BYTES + 1);
    await expectBackendError(backends.B.dispatcher.transcribe({ ...input(voices.slt), audio: bytes(big) }), 'permanent', 'AUDIO_TOO_LARGE');
  });

  it('node: keeps serving while its registry is unreachable, logging the failed heartbeats', async () => {
    const log = fs.readFileSync(procs[0]!.logFile, 'utf8');
    expect(log).toContain('heartbeat failed; retrying');
    expect((await stats(backends.A.adminUrl)).grpc_online).toBe(1);
  });

  describe('instant engine node with a registry', () => {
    let registry: Awaited<ReturnType<typeof startRegistryRecorder>>;
    let node: Awaited<ReturnType<typeof startSttNodeProcess>>;
    let dispatcher: ScaiInferDispatcher;
    const nodeId = `stt-instant-${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      registry = await startRegistryRecorder();
      node = await startSttNodeProcess({
        nodeId,
        engine: 'instant',
        registryUrl: registry.url,
        registryToken: 'registry-secret',
        heartbeatMs: 200,
        capacity: 3,
        logDir,
      });
      dispatcher = createScaiInferDispatcher({ address: node.grpcAddress, deadlineMs: 10_000 });
    });

    afterAll(async () => {
      dispatcher?.close();
      await node?.process.stop(5000);
      registry?.server.close();
    });

    it('answers in well under 500 ms', async () => {
      await dispatcher.transcribe(input(voices.slt));
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const r = await dispatcher.transcribe(input(voices.slt));
        times.push(performance.now() - started);
        expect(r.text).toBe(INSTANT_TEXT);
        expect(Math.abs(r.audioDurationMs - durationMs(voices.slt))).toBeLessThanOrEqual(50);
        expect(r.engineMs).toBeLessThanOrEqual(5);
      }
      expect(Math.max(...times), `round trips in ms: ${times.map((t) => t.toFixed(1)).join(', ')}`).toBeLessThan(250);
      await expectBackendError(dispatcher.transcribe(input(garbage)), 'permanent', 'AUDIO_UNDECODABLE');
    });

    it('heartbeats into the registry, stops while offline, and deregisters on SIGTERM', async () => {
      await waitUntil('heartbeats', async () => registry.calls.length >= 2, 5000);
      expect(registry.calls[0]).toEqual({
        method: 'POST',
        path: '/v1/internal/nodes/heartbeat',
        auth: 'Bearer registry-secret',
        body: { node_id: nodeId, address: node.grpcAddress, engine_kinds: ['stt'], capacity: 3, version: 'ref-1' },
      });

      await setFault(node.adminUrl, 'offline');
      await new Promise((r) => setTimeout(r, 300));
      const whileOffline = registry.calls.length;
      await new Promise((r) => setTimeout(r, 800));
      expect(registry.calls.length).toBe(whileOffline);
      await setFault(node.adminUrl, 'ok');
      await waitUntil('heartbeats again', async () => registry.calls.length > whileOffline, 5000);

      await node.process.stop(5000);
      expect(await node.process.exited).toBe(0);
      expect(registry.calls.at(-1)).toMatchObject({ method: 'DELETE', path: `/v1/internal/nodes/${nodeId}`, auth: 'Bearer registry-secret' });
    });
  });
});
