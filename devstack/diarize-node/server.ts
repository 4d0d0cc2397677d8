import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  status,
  type sendUnaryData,
  type ServerReadableStream,
  type ServerUnaryCall,
  type StatusObject,
} from '@grpc/grpc-js';
import { decodePcm, PCM_RATE } from '../../lib/audio/pcm.js';
import { createLogger, type Logger } from '../../lib/infra/logger.js';
import {
  loadSpeakerDiarization,
  type AcceptSpeakerRequest,
  type AttributeConfig,
  type Attribution,
  type AudioConfig,
  type Embedding,
} from '../../lib/scaiinfer/diarize/proto.js';
import { ENGINE_DIARIZE } from '../../lib/scaiinfer/node-registry.js';
import { serveGrpcNode, type GrpcNode } from '../grpc-node.js';
import { FaultSwitch } from '../stt/faults.js';
import { createEmbedder } from './embedder.js';
import { TooLittleSpeechError } from './embedding.js';
import type { DiarizeEngineKind } from './speaker-embedder.js';

// Reference ScaiInfer node with the audio.analyze.pyannote engine loaded:
// serves scaiinfer.diarize.v1.SpeakerDiarization with a real speaker
// embedding (embedder.ts: d-vectors, or a small MFCC one). Held embeddings live in this process's memory only, so
// going offline through the fault switch keeps them, as a node whose network
// dropped would; evicted speaker ids are refused from then on.

export interface DiarizeNodeOptions {
  nodeId: string;
  engine: DiarizeEngineKind;
  grpcPort: number;
  adminPort: number;
  host?: string;
  registry?: { url: string; token: string };
  heartbeatMs?: number;
  maxAudioBytes?: number;
  logger?: Logger;
}

type CallStatus = Pick<StatusObject, 'code' | 'details'>;

class CallFailure extends Error {
  constructor(readonly status: CallStatus) {
    super(status.details);
  }
}

// Containers only: raw sample formats would "decode" any bytes at all into noise.
const CONTAINERS = new Set(['wav', 'flac', 'ogg', 'aiff', 'au']);
const DEFAULT_MAX_AUDIO_BYTES = 50 * 1024 * 1024;
// Advertised to the registry; calls are short, so nothing here enforces it.
const CAPACITY = 8;

export async function createDiarizeNode(opts: DiarizeNodeOptions): Promise<GrpcNode> {
  const log = opts.logger ?? createLogger('diarize-node');
  const maxAudioBytes = opts.maxAudioBytes ?? DEFAULT_MAX_AUDIO_BYTES;
  const faults = new FaultSwitch();
  const embedder = createEmbedder(opts.engine);
  // Registered before its model has loaded, the node would take calls it can only time out.
  await embedder.ready;
  const held = new Map<string, Float32Array>();
  const evicted = new Set<string>();
  const stats = { requests: 0, embeddings: 0, accepted: 0, evictions: 0, refused_evicted: 0, attributions: 0, in_flight: 0 };

  /** Runs a handler once the fault switch lets the call through, and answers with its result or failure. */
  async function serve<T>(cancelled: AbortSignal, callback: sendUnaryData<T>, work: () => Promise<T>): Promise<void> {
    stats.requests++;
    stats.in_flight++;
    try {
      const admission = await faults.admit(cancelled);
      if (admission === 'aborted') return;
      if (admission === 'fail') return callback({ code: status.UNAVAILABLE, details: 'fault injected: node unavailable' });
      callback(null, await work());
    } catch (err) {
      if (err instanceof CallFailure) return callback(err.status);
      log.error({ err: String(err) }, 'engine failed');
      callback({ code: status.INTERNAL, details: 'the diarization engine failed' });
    } finally {
      stats.in_flight--;
    }
  }

  const cancellation = (call: { on(event: 'cancelled', l: () => void): unknown }): AbortSignal => {
    const c = new AbortController();
    call.on('cancelled', () => c.abort());
    return c.signal;
  };

  function unary<Req, Res>(work: (req: Req) => Res) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void =>
      void serve(cancellation(call), callback, async () => work(call.request));
  }

  /** A client stream of a config, then audio bytes; the work gets both once the client half-closes. */
  function withAudio<Config extends AudioConfig | AttributeConfig, Res>(work: (config: Config, pcm: Int16Array, cancelled: AbortSignal) => Promise<Res>) {
    return (call: ServerReadableStream<{ payload?: string; config?: Config; audio?: Uint8Array }, Res>, callback: sendUnaryData<Res>): void => {
      const cancelled = cancellation(call);
      let config: Config | undefined;
      const chunks: Uint8Array[] = [];
      let size = 0;
      let failed: CallStatus | undefined;
      call.on('data', (msg: { payload?: string; config?: Config; audio?: Uint8Array }) => {
        if (failed) return;
        if (!config) {
          if (msg.payload !== 'config') failed = { code: status.INVALID_ARGUMENT, details: 'the first message must be a config' };
          else config = msg.config;
          return;
        }
        if (msg.payload !== 'audio') {
          failed = { code: status.INVALID_ARGUMENT, details: 'only the first message may be a config' };
          return;
        }
        size += msg.audio!.byteLength;
        if (size > maxAudioBytes) failed = { code: status.OUT_OF_RANGE, details: `audio is larger than ${maxAudioBytes} bytes` };
        else chunks.push(msg.audio!);
      });
      call.on('end', () => {
        if (failed) return callback(failed);
        if (!config) return callback({ code: status.INVALID_ARGUMENT, details: 'the call carried no config' });
        const c = config;
        void serve(cancelled, callback, async () => work(c, await decode(c, Buffer.concat(chunks), cancelled), cancelled));
      });
    };
  }

  async function decode(config: AudioConfig | AttributeConfig, audio: Buffer, signal: AbortSignal): Promise<Int16Array> {
    const format = ('audio' in config ? config.audio : config).audioFormat.toLowerCase() || 'wav';
    if (!CONTAINERS.has(format)) throw new CallFailure({ code: status.INVALID_ARGUMENT, details: `unsupported audio format ${JSON.stringify(format)}` });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'diarize-'));
    try {
      const file = path.join(dir, `input.${format}`);
      await fs.writeFile(file, audio);
      return await decodePcm(file, { format, signal });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new CallFailure({ code: status.INVALID_ARGUMENT, details: err instanceof Error ? err.message : String(err) });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  const embed = async (pcm: Int16Array, signal: AbortSignal): Promise<Float32Array> => {
    try {
      return await embedder.embed(pcm, signal);
    } catch (err) {
      if (err instanceof TooLittleSpeechError) throw new CallFailure({ code: status.INVALID_ARGUMENT, details: err.message });
      throw err;
    }
  };

  const handlers = {
    ComputeEmbedding: withAudio<AudioConfig, Embedding>(async (config, pcm, cancelled) => {
      const values = Array.from(await embed(pcm, cancelled));
      stats.embeddings++;
      log.info({ request_id: config.requestId, audio_ms: Math.round((pcm.length / PCM_RATE) * 1000) }, 'embedding computed');
      return { values, model: embedder.model };
    }),

    AcceptSpeaker: unary<AcceptSpeakerRequest, { alreadyHeld: boolean }>(({ speakerId, embedding }) => {
      if (!speakerId) throw new CallFailure({ code: status.INVALID_ARGUMENT, details: 'speaker_id is required' });
      if (evicted.has(speakerId)) {
        stats.refused_evicted++;
        throw new CallFailure({ code: status.FAILED_PRECONDITION, details: `speaker ${speakerId} was evicted from this node` });
      }
      if (embedding?.model !== embedder.model || embedding.values.length !== embedder.dims) {
        throw new CallFailure({ code: status.INVALID_ARGUMENT, details: `this node takes ${embedder.model} embeddings of ${embedder.dims} values` });
      }
      const alreadyHeld = held.has(speakerId);
      held.set(speakerId, Float32Array.from(embedding.values));
      stats.accepted++;
      log.info({ speaker_id: speakerId, already_held: alreadyHeld }, 'speaker accepted');
      return { alreadyHeld };
    }),

    EvictSpeaker: unary<{ speakerId: string }, { wasHeld: boolean }>(({ speakerId }) => {
      if (!speakerId) throw new CallFailure({ code: status.INVALID_ARGUMENT, details: 'speaker_id is required' });
      const wasHeld = held.delete(speakerId);
      evicted.add(speakerId);
      stats.evictions++;
      log.info({ speaker_id: speakerId, was_held: wasHeld }, 'speaker evicted');
      return { wasHeld };
    }),

    ListSpeakers: unary<{ speakerIds: string[] }, { speakerIds: string[] }>(({ speakerIds }) => ({
      speakerIds: speakerIds.length > 0 ? speakerIds.filter((id) => held.has(id)) : [...held.keys()],
    })),

    AttributeSegments: withAudio<AttributeConfig, { segments: Attribution[] }>(async (config, pcm, cancelled) => {
      const candidates = config.speakerIds.flatMap((id) => {
        const e = held.get(id);
        return e ? [{ id, embedding: e }] : [];
      });
      const segments: Attribution[] = [];
      // One after another: the engine answers one request at a time anyway.
      for (const span of config.segments) {
        const slice = pcm.subarray(Math.floor((span.startMs * PCM_RATE) / 1000), Math.ceil((span.endMs * PCM_RATE) / 1000));
        let voice: Float32Array;
        try {
          voice = await embedder.embed(slice, cancelled);
        } catch (err) {
          // Too short to tell a voice by: unlabelled, like a segment nobody enrolled matches.
          if (err instanceof TooLittleSpeechError) {
            segments.push({ ...span, speakerId: '', score: 0 });
            continue;
          }
          throw err;
        }
        const best = candidates
          .map((c) => ({ id: c.id, score: embedder.similarity(voice, c.embedding) }))
          .reduce((a, b) => (b.score > a.score ? b : a), { id: '', score: -Infinity });
        segments.push(best.score >= embedder.threshold ? { ...span, speakerId: best.id, score: best.score } : { ...span, speakerId: '', score: Math.max(best.score, 0) });
      }
      stats.attributions++;
      log.info({ request_id: config.audio.requestId, segments: segments.length, candidates: candidates.length }, 'segments attributed');
      return { segments };
    }),
  };

  return serveGrpcNode({
    nodeId: opts.nodeId,
    engineKinds: [ENGINE_DIARIZE],
    service: loadSpeakerDiarization().service,
    handlers,
    faults,
    stats: () => ({ engine: embedder.model, held: held.size, ...stats }),
    grpcPort: opts.grpcPort,
    adminPort: opts.adminPort,
    host: opts.host ?? '127.0.0.1',
    registry: opts.registry,
    heartbeatMs: opts.heartbeatMs ?? 2000,
    capacity: CAPACITY,
    logger: log,
  });
}
