import type { IncomingMessage } from 'node:http';
import Koa from 'koa';
import { Router } from '@koa/router';
import { createLogger, type Logger } from '../../lib/infra/logger.js';
import { bearerKeyCheck } from '../bearer-keys.js';
import { answerErrors } from '../error-answers.js';
import { hangUpSignal, logAppErrors } from '../hang-ups.js';
import { serveWithAdmin, type ReferenceHttpServer } from '../http-listeners.js';
import { createEngine, engineStats, liveEngines } from '../stt/engine.js';
import { relayLiveUpgrades } from './live.js';
import { UndecodableAudioError, type EngineKind } from '../stt/transcript.js';
import { FaultSwitch } from '../stt/faults.js';

// Reference managed STT relay (ScaiEcho backend B): one REST call per recording,
// raw audio in the body, API keys in the Authorization header; a live WebSocket
// (live.ts); and an admin port whose fault switch makes it answer 503, hang, or
// close its listening socket.

export interface SttRelayOptions {
  port: number;
  adminPort: number;
  host?: string;
  apiKeys: string[];
  engine: EngineKind;
  maxBytes?: number;
  logger?: Logger;
}

export type SttRelay = ReferenceHttpServer;

export const DEFAULT_RELAY_MAX_BYTES = 25 * 1024 * 1024;

class RelayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const CONTAINER_OF_MEDIA_TYPE: Record<string, string> = {
  'audio/wav': 'wav',
  'audio/wave': 'wav',
  'audio/x-wav': 'wav',
  'audio/vnd.wave': 'wav',
  'audio/flac': 'flac',
  'audio/x-flac': 'flac',
  'audio/ogg': 'ogg',
  'audio/aiff': 'aiff',
  'audio/x-aiff': 'aiff',
  'audio/basic': 'au',
};

function containerOf(contentType: string): string {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (!type.startsWith('audio/')) throw new RelayError(415, 'unsupported_media_type', 'Content-Type must be audio/*');
  // An audio type we do not list is tried under its own name; the engine refuses what it cannot read.
  return CONTAINER_OF_MEDIA_TYPE[type] ?? type.slice('audio/'.length).replace(/^x-/, '');
}

/** Reads the whole body, but keeps nothing past the cap: the client still gets to finish sending and read the 413. */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    }
  } catch {
    // The caller hung up mid-upload, as timeouts and aborts do; nobody is left to read the answer.
    throw new RelayError(400, 'incomplete_body', 'the request body ended early');
  }
  if (size > maxBytes) throw new RelayError(413, 'audio_too_large', `audio is larger than ${maxBytes} bytes`);
  return Buffer.concat(chunks);
}

export async function createSttRelay(opts: SttRelayOptions): Promise<SttRelay> {
  const host = opts.host ?? '127.0.0.1';
  const maxBytes = opts.maxBytes ?? DEFAULT_RELAY_MAX_BYTES;
  const log = opts.logger ?? createLogger('stt-relay');
  const knownKey = bearerKeyCheck(opts.apiKeys);
  const engine = createEngine(opts.engine);
  const liveOn = liveEngines(engine);
  await Promise.all([engine.ready, liveOn.incremental?.ready]);
  const faults = new FaultSwitch();
  const stats = { requests: 0, served: 0, unauthorized: 0, undecodable: 0, too_large: 0, engine_failures: 0, cancelled: 0, in_flight: 0, live_sessions: 0 };

  const authorize = (header: string): void => {
    if (!knownKey(header)) {
      stats.unauthorized++;
      throw new RelayError(401, 'invalid_api_key', 'missing or unknown API key');
    }
  };

  const router = new Router();
  router.post('/v1/audio/transcriptions', async (ctx) => {
    // The client hung up before its answer was written: stop waiting and stop the engine.
    const gone = hangUpSignal(ctx, () => stats.cancelled++);
    authorize(ctx.get('authorization'));
    const container = containerOf(ctx.get('content-type'));
    const language = typeof ctx.query.language === 'string' && ctx.query.language !== '' ? ctx.query.language : undefined;
    if (language !== undefined && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language)) {
      throw new RelayError(400, 'invalid_request', 'language must be a BCP 47 tag such as "en"');
    }
    const rawTemperature = ctx.query.temperature;
    if (rawTemperature !== undefined) {
      const t = typeof rawTemperature === 'string' ? Number(rawTemperature) : NaN;
      if (rawTemperature === '' || !(t >= 0 && t <= 1)) throw new RelayError(400, 'invalid_request', 'temperature must be a number from 0 to 1');
    }
    const declared = Number(ctx.get('content-length') || 0);
    if (declared > maxBytes) throw new RelayError(413, 'audio_too_large', `audio is larger than ${maxBytes} bytes`);
    const audio = await readBody(ctx.req, maxBytes);
    const admission = await faults.admit(gone);
    if (admission === 'aborted') return;
    if (admission === 'fail') throw new RelayError(503, 'unavailable', 'fault injected: relay unavailable');
    try {
      const t = await engine.transcribe(audio, container, gone);
      stats.served++;
      log.info({ bytes: audio.length, audio_ms: t.audioDurationMs, engine_ms: t.engineMs }, 'transcribed');
      ctx.body = {
        text: t.text,
        segments: t.segments.map((s) => ({ start_ms: s.startMs, end_ms: s.endMs, text: s.text })),
        language: t.language,
        duration_ms: t.audioDurationMs,
      };
    } catch (err) {
      if (gone.aborted) return;
      if (err instanceof UndecodableAudioError) throw new RelayError(400, 'audio_undecodable', err.message);
      stats.engine_failures++;
      log.error({ err: String(err) }, 'engine failed');
      throw new RelayError(500, 'engine_error', 'the STT engine failed');
    }
  });

  const app = new Koa();
  logAppErrors(app, log);
  app.use(
    answerErrors(stats, (err): err is RelayError => err instanceof RelayError, (ctx, err) => {
      if (err.status === 400 && err.code === 'audio_undecodable') stats.undecodable++;
      if (err.status === 413) stats.too_large++;
      ctx.body = { error: { code: err.code, message: err.message } };
    }),
  );
  app.use(router.routes());
  app.use(router.allowedMethods());

  return serveWithAdmin(app, {
    apiPort: opts.port,
    port: opts.adminPort,
    host,
    faults,
    stats: () => ({ engine: engine.kind, ...stats, ...engineStats(engine) }),
    onUpgrade: relayLiveUpgrades({ knownKey, engines: liveOn, faults, stats, log }),
  });
}
