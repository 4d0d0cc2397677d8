import { status, type ServerDuplexStream, type StatusObject } from '@grpc/grpc-js';
import { createLogger, type Logger } from '../../lib/infra/logger.js';
import {
  loadSpeechToText,
  type TranscribeConfig,
  type TranscribeRequest,
  type TranscribeResponse,
} from '../../lib/scaiinfer/stt/stt-proto.js';
import { ENGINE_STT } from '../../lib/scaiinfer/node-registry.js';
import { serveGrpcNode, type GrpcNode } from '../grpc-node.js';
import { createEngine, engineStats, liveEngines } from '../stt/engine.js';
import { UndecodableAudioError, type EngineKind } from '../stt/transcript.js';
import { FaultSwitch } from '../stt/faults.js';
import { LiveTranscriber } from '../stt/live.js';

// Reference ScaiInfer node with the STT engine loaded: serves
// scaiinfer.stt.v1.SpeechToText over gRPC, batch and live (stt/live.ts);
// registration, heartbeats and the fault switch come from serveGrpcNode.

export interface SttNodeOptions {
  nodeId: string;
  engine: EngineKind;
  /** 0 picks a free port; going offline and back keeps the port first bound. */
  grpcPort: number;
  adminPort: number;
  host?: string;
  /** Without a registry the node serves but never registers. */
  registry?: { url: string; token: string };
  heartbeatMs?: number;
  /** Concurrent Transcribe calls; one more is refused with RESOURCE_EXHAUSTED. */
  capacity?: number;
  maxAudioBytes?: number;
  logger?: Logger;
}

export type SttNode = GrpcNode;

const DEFAULT_CAPACITY = 8;
const DEFAULT_MAX_AUDIO_BYTES = 100 * 1024 * 1024;

type CallStatus = Pick<StatusObject, 'code' | 'details'>;

export async function createSttNode(opts: SttNodeOptions): Promise<SttNode> {
  const capacity = opts.capacity ?? DEFAULT_CAPACITY;
  const maxAudioBytes = opts.maxAudioBytes ?? DEFAULT_MAX_AUDIO_BYTES;
  const log = opts.logger ?? createLogger('stt-node');
  const engine = createEngine(opts.engine);
  const liveOn = liveEngines(engine);
  // Registered before its models have loaded, the node would take calls it can only time out.
  await Promise.all([engine.ready, liveOn.incremental?.ready]);
  const service = loadSpeechToText().service;
  const faults = new FaultSwitch();
  const stats = { requests: 0, served: 0, undecodable: 0, engine_failures: 0, rejected_over_capacity: 0, cancelled: 0, in_flight: 0 };

  function transcribe(call: ServerDuplexStream<TranscribeRequest, TranscribeResponse>): void {
    stats.requests++;
    if (stats.in_flight >= capacity) {
      stats.rejected_over_capacity++;
      call.emit('error', { code: status.RESOURCE_EXHAUSTED, details: `node is at its capacity of ${capacity} calls` } satisfies CallStatus);
      return;
    }
    stats.in_flight++;
    const cancelled = new AbortController();
    let done = false;
    const release = (): boolean => {
      if (done) return false;
      done = true;
      stats.in_flight--;
      return true;
    };
    const finish = (failure?: CallStatus): void => {
      if (!release()) return;
      if (failure) call.emit('error', failure);
      else call.end();
    };
    // The client gave up or its deadline passed: stop the engine, answer nothing.
    call.on('cancelled', () => {
      cancelled.abort();
      if (release()) stats.cancelled++;
    });

    let config: TranscribeConfig | undefined;
    let live: LiveTranscriber | undefined;
    const chunks: Uint8Array[] = [];
    let size = 0;
    call.on('data', (msg: TranscribeRequest) => {
      if (done) return;
      if (!config) {
        if (msg.payload !== 'config') return finish({ code: status.INVALID_ARGUMENT, details: 'the first message must be a config' });
        config = msg.config;
        if (config.live) {
          const sampleRate = config.sampleRateHz || 16_000;
          if (sampleRate < 8000 || sampleRate > 48_000) return finish({ code: status.INVALID_ARGUMENT, details: 'sample_rate_hz must be within 8000..48000' });
          live = new LiveTranscriber(liveOn, sampleRate, (d) => !done && call.write({ delta: d }), cancelled.signal);
        }
        return;
      }
      if (msg.payload !== 'audio') return finish({ code: status.INVALID_ARGUMENT, details: 'only the first message may be a config' });
      size += msg.audio.byteLength;
      if (size > maxAudioBytes) return finish({ code: status.OUT_OF_RANGE, details: `audio is larger than ${maxAudioBytes} bytes` });
      if (live) live.push(msg.audio);
      else chunks.push(msg.audio);
    });
    call.on('end', () => void answer());

    async function answer(): Promise<void> {
      if (done) return;
      if (!config) return finish({ code: status.INVALID_ARGUMENT, details: 'the call carried no config' });
      const admission = await faults.admit(cancelled.signal);
      if (admission === 'aborted') return;
      if (admission === 'fail') return finish({ code: status.UNAVAILABLE, details: 'fault injected: node unavailable' });
      const started = Date.now();
      try {
        // A live call's deltas went out as it was decoded; a batch call's go now.
        const t = live ? await live.end() : await engine.transcribe(Buffer.concat(chunks), config.audioFormat || 'wav', cancelled.signal);
        if (done) return;
        if (!live) for (const s of t.segments) call.write({ delta: { text: s.text, startMs: s.startMs, endMs: s.endMs, isFinal: true } });
        call.write({ result: t });
        stats.served++;
        log.info({ job_id: config.jobId, bytes: size, audio_ms: t.audioDurationMs, engine_ms: t.engineMs }, 'transcribed');
        finish();
      } catch (err) {
        if (cancelled.signal.aborted) return;
        if (err instanceof UndecodableAudioError) {
          stats.undecodable++;
          return finish({ code: status.INVALID_ARGUMENT, details: err.message });
        }
        stats.engine_failures++;
        log.error({ job_id: config.jobId, err: String(err), after_ms: Date.now() - started }, 'engine failed');
        finish({ code: status.INTERNAL, details: 'the STT engine failed' });
      }
    }
  }

  return serveGrpcNode({
    nodeId: opts.nodeId,
    engineKinds: [ENGINE_STT],
    service,
    handlers: { Transcribe: transcribe },
    faults,
    stats: () => ({ engine: engine.kind, ...stats, ...engineStats(engine) }),
    grpcPort: opts.grpcPort,
    adminPort: opts.adminPort,
    host: opts.host ?? '127.0.0.1',
    registry: opts.registry,
    heartbeatMs: opts.heartbeatMs ?? 2000,
    capacity,
    logger: log,
  });
}
