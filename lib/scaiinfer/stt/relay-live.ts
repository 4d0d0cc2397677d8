import WebSocket from 'ws';
import { z } from 'zod';
import { BackendError, classifyHttpStatus } from './errors.js';
import type { LiveCall } from './live.js';
import type { TranscribeResult, TranscriptDelta } from './stt-proto.js';

// A live session on the relay (backend B): its WebSocket at /v1/listen
// (devstack/stt-relay/live.ts is the reference), the API key as bearer, raw
// PCM written as it arrives, deltas handed on as the relay decodes, the result
// after our close frame. The same LiveCall as a node's (live.ts), so a session
// moves between the two.

/** Bytes the socket may hold unsent before the caller is told to wait. */
const HIGH_WATER = 1 << 20;
const DRAIN_POLL_MS = 20;

const frame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('delta'), text: z.string(), start_ms: z.number(), end_ms: z.number(), is_final: z.boolean() }),
  z.object({
    type: z.literal('result'),
    text: z.string(),
    segments: z.array(z.object({ start_ms: z.number(), end_ms: z.number(), text: z.string() })),
    duration_ms: z.number(),
  }),
]);

export interface RelayLiveOptions {
  url: string;
  apiKey: string;
  language: string;
  sampleRateHz: number;
  onDelta(delta: TranscriptDelta): void;
  /** the call failed before finish() was asked for */
  onFailure(err: BackendError): void;
}

export function openRelayLiveCall(opts: RelayLiveOptions): LiveCall {
  const url = new URL('v1/listen', opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('sample_rate', String(opts.sampleRateHz));
  if (opts.language) url.searchParams.set('language', opts.language);
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${opts.apiKey}` } });
  // Audio written before the socket opens waits here, in order.
  const early: Buffer[] = [];
  let finishing = false;
  let failure: BackendError | undefined;
  let result: TranscribeResult | undefined;
  const fail = (err: BackendError): void => {
    if (failure) return;
    failure = err;
    if (!finishing) opts.onFailure(err);
  };
  const done = new Promise<TranscribeResult>((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      fail(classifyHttpStatus(res.statusCode ?? 502, undefined, `the live upgrade was refused`));
      ws.terminate();
    });
    ws.on('open', () => {
      for (const pcm of early.splice(0)) ws.send(pcm);
      if (finishing) ws.send(JSON.stringify({ type: 'close' }));
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const parsed = frame.safeParse(JSON.parse(String(data)));
      if (!parsed.success) return;
      const f = parsed.data;
      if (f.type === 'delta') opts.onDelta({ text: f.text, startMs: f.start_ms, endMs: f.end_ms, isFinal: f.is_final });
      else result = { text: f.text, segments: f.segments.map((s) => ({ startMs: s.start_ms, endMs: s.end_ms, text: s.text })), language: opts.language || 'en', audioDurationMs: f.duration_ms, engineMs: 0 };
    });
    ws.on('error', (err) => fail(new BackendError('transient', 'BACKEND_UNAVAILABLE', `the relay's live socket failed: ${err.message}`, 'B', { cause: err })));
    ws.on('close', (code) => {
      if (result) return resolve(result);
      const err = failure ?? new BackendError('transient', 'BACKEND_ERROR', `the relay closed the live socket (${code}) without a result`, 'B');
      fail(err);
      reject(err);
    });
  });
  done.catch(() => undefined);
  return {
    write(pcm) {
      if (failure) return true;
      if (ws.readyState === WebSocket.CONNECTING) early.push(Buffer.from(pcm));
      else if (ws.readyState === WebSocket.OPEN) ws.send(pcm);
      return ws.bufferedAmount < HIGH_WATER;
    },
    // ws has no drain event of its own: its buffer is watched until it is below the mark.
    drained: () =>
      new Promise((resolve) => {
        const timer = setInterval(() => {
          if (ws.bufferedAmount < HIGH_WATER || ws.readyState !== WebSocket.OPEN) {
            clearInterval(timer);
            resolve();
          }
        }, DRAIN_POLL_MS);
      }),
    finish() {
      finishing = true;
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'close' }));
      return failure ? Promise.reject(failure) : done;
    },
    cancel() {
      finishing = true;
      ws.terminate();
    },
  };
}
