import type { Redis } from 'ioredis';
import type { Caller } from '../../../lib/auth/caller-identity.js';
import { AppError, type ErrorCode } from '../../../lib/errors.js';
import type { Db } from '../../../lib/infra/db.js';
import { newId } from '../../../lib/infra/ids.js';
import type { Logger } from '../../../lib/infra/logger.js';
import { ENGINE_STT, type NodeRegistry } from '../../../lib/scaiinfer/node-registry.js';
import type { BackendError } from '../../../lib/scaiinfer/stt/errors.js';
import { openLiveCall, type LiveCall } from '../../../lib/scaiinfer/stt/live.js';
import { openRelayLiveCall } from '../../../lib/scaiinfer/stt/relay-live.js';
import type { TranscriptDelta } from '../../../lib/scaiinfer/stt/stt-proto.js';
import { recordUsage } from '../../accounting/usage.js';
import type { SttBackends } from '../backends.js';
import { backendsToTry, getOrProvisionPolicy, type Backend } from '../policy.js';
import { CLOSE, clientFrame, type OpenFrame } from './frames.js';

// One live transcription session, whatever carries it (api/live-socket.ts
// translates the WebSocket), on the backends the tenant's policy allows, in
// the order the batch path tries them (policy.ts backendsToTry): A is a
// ScaiInfer node's live call (lib/scaiinfer/stt/live.ts), B the relay's live
// socket (relay-live.ts). A backend that dies mid-stream is replaced by the
// next that can take the stream: another online node, then the relay (or the
// other way round); what the dead one had not yet decoded of the utterance
// under way is lost, the client is not.

export interface LiveDeps {
  db: Db;
  redis: Redis;
  registry: NodeRegistry;
  backends: SttBackends;
  logger: Logger;
  limits: { idleMs: number; maxMs: number };
}

/** What the session needs of its transport. */
export interface LiveTransport {
  send(frame: object, opts?: { droppable?: boolean }): void;
  close(code: number, reason: string): void;
  /** stop reading audio until resume(): the node is behind */
  pause(): void;
  resume(): void;
}

type State = 'awaiting_open' | 'opening' | 'streaming' | 'finishing' | 'closed';

const REASON_MAX = 120;

export class LiveSession {
  readonly id = newId();
  private state: State = 'awaiting_open';
  private call: LiveCall | undefined;
  private backend: Backend = 'A';
  private order: Backend[] = [];
  private nodeId: string | null = null;
  private relayFailed = false;
  private sampleRate = 16_000;
  private language = '';
  private audioBytes = 0;
  private odd: Buffer | undefined;
  private finals = 0;
  private idle: NodeJS.Timeout | undefined;
  private readonly failedNodes: string[] = [];

  constructor(
    private readonly deps: LiveDeps,
    private readonly caller: Caller,
    private readonly transport: LiveTransport,
  ) {
    this.touch();
  }

  private get audioMs(): number {
    return Math.round((this.audioBytes / 2 / this.sampleRate) * 1000);
  }

  onText(text: string): void {
    let frame: ReturnType<typeof clientFrame.parse>;
    try {
      const parsed = clientFrame.safeParse(JSON.parse(text));
      if (!parsed.success) return this.fail(CLOSE.badFrame, 'VALIDATION_ERROR', parsed.error.issues.map((i) => `${i.path.join('.') || 'frame'}: ${i.message}`).join('; '));
      frame = parsed.data;
    } catch {
      return this.fail(CLOSE.badFrame, 'INVALID_JSON', 'a text frame must be JSON');
    }
    if (frame.type === 'open') {
      if (this.state !== 'awaiting_open') return this.fail(CLOSE.badFrame, 'VALIDATION_ERROR', 'the session is already open');
      void this.open(frame);
    } else {
      if (this.state !== 'streaming') return this.fail(CLOSE.badFrame, 'VALIDATION_ERROR', 'nothing to close: send the open frame first');
      this.drain('closed by the client');
    }
  }

  /** The open frame of a transport that signals on its own (WebRTC's offer), validated there. */
  start(frame: OpenFrame): void {
    if (this.state === 'awaiting_open') void this.open(frame);
  }

  /** Ends a streaming session as the close frame does: what the node still has comes first, then closed. */
  drain(reason: string): void {
    void this.finish(CLOSE.done, reason);
  }

  onAudio(chunk: Buffer): void {
    if (this.state === 'finishing' || this.state === 'closed') return;
    if (this.state !== 'streaming') return this.fail(CLOSE.badFrame, 'VALIDATION_ERROR', 'send the open frame, and wait for ready, before audio');
    this.touch();
    // 16-bit samples: a byte left over waits for the next frame.
    let pcm = this.odd ? Buffer.concat([this.odd, chunk]) : chunk;
    this.odd = pcm.length % 2 === 1 ? Buffer.from(pcm.subarray(pcm.length - 1)) : undefined;
    if (this.odd) pcm = pcm.subarray(0, pcm.length - 1);
    this.audioBytes += pcm.length;
    if (this.audioMs >= this.deps.limits.maxMs) {
      void this.finish(CLOSE.tooLong, `the session reached its limit of ${Math.round(this.deps.limits.maxMs / 1000)} s`);
      return;
    }
    if (!this.call!.write(pcm)) {
      this.transport.pause();
      void this.call!.drained().then(() => this.transport.resume());
    }
  }

  /** The client went away (or the server is going): nothing more to tell it, everything to stop. Settles once the audit row is written. */
  onGone(code: number, reason = 'the client closed the socket'): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    this.call?.cancel();
    return this.settle(code, reason);
  }

  private async open(frame: OpenFrame): Promise<void> {
    this.state = 'opening';
    this.sampleRate = frame.sample_rate;
    this.language = frame.language ?? '';
    try {
      const policy = await getOrProvisionPolicy(this.deps.db, this.caller.tenantId);
      this.order = backendsToTry(policy, frame.backend_preference ?? 'any', await this.deps.backends.availability());
      await this.connect();
      await this.deps.db.streamSession.create({
        data: { id: this.id, tenantId: this.caller.tenantId, userId: this.caller.userId, backend: this.backend, nodeId: this.nodeId, sampleRateHz: this.sampleRate },
      });
      if (this.state !== 'opening') return this.call?.cancel();
      this.state = 'streaming';
      this.transport.send({ type: 'ready', session_id: this.id, backend_used: this.backend, sample_rate: this.sampleRate });
    } catch (err) {
      this.call?.cancel();
      if (err instanceof AppError) return this.fail(err.code === 'BACKEND_UNAVAILABLE' ? CLOSE.unavailable : CLOSE.forbidden, err.code, err.message);
      this.deps.logger.error({ err, session: this.id }, 'live session could not open');
      this.fail(CLOSE.serverError, 'INTERNAL_ERROR', 'the session could not open; try again');
    }
  }

  /** A live call on the first backend in the tenant's order that can take one: an online node this session has not seen fail, or the relay. */
  private async connect(): Promise<void> {
    const common = { language: this.language, sampleRateHz: this.sampleRate, onDelta: (d: TranscriptDelta) => this.delta(d) };
    for (const backend of this.order) {
      if (backend === 'A') {
        const node = await this.deps.registry.resolve(ENGINE_STT, this.failedNodes);
        if (!node) continue;
        this.backend = backend;
        this.nodeId = node.nodeId;
        this.call = openLiveCall({ ...common, address: node.address, sessionId: this.id, onFailure: (err) => void this.failover(err, node.nodeId) });
        return;
      }
      const relay = this.deps.backends.relay();
      if (!relay || this.relayFailed) continue;
      this.backend = backend;
      this.nodeId = null;
      this.call = openRelayLiveCall({ ...common, ...relay, onFailure: (err) => void this.failover(err) });
      return;
    }
    throw new AppError('BACKEND_UNAVAILABLE', 'no backend the tenant allows can take a live stream now: no STT node online, and no relay');
  }

  /** `nodeId`: the node that failed; none, the relay. */
  private async failover(err: BackendError, nodeId?: string): Promise<void> {
    if (this.state === 'closed' || this.state === 'finishing') return;
    if (nodeId) this.failedNodes.push(nodeId);
    else this.relayFailed = true;
    this.deps.logger.warn({ session: this.id, backend: this.backend, node: nodeId, err: err.message }, 'live backend failed; moving the session on');
    try {
      await this.connect();
      await this.deps.db.streamSession.updateMany({ where: { id: this.id }, data: { backend: this.backend, nodeId: this.nodeId } });
      this.transport.resume();
    } catch {
      this.fail(CLOSE.unavailable, 'BACKEND_UNAVAILABLE', 'the live backend failed and no other the tenant allows can take the stream');
    }
  }

  private delta(d: TranscriptDelta): void {
    if (this.state === 'closed') return;
    if (d.isFinal) this.finals += 1;
    // A slow client loses partials first (the next one replaces them anyway); never a final.
    this.transport.send({ type: 'delta', text: d.text, start_ms: d.startMs, end_ms: d.endMs, is_final: d.isFinal }, { droppable: !d.isFinal });
  }

  /** Drains what the node still has, says so, closes. */
  private async finish(code: number, reason: string): Promise<void> {
    if (this.state !== 'streaming') return;
    this.state = 'finishing';
    this.stopIdle();
    try {
      const result = await this.call!.finish();
      this.transport.send({
        type: 'closed',
        session_id: this.id,
        reason,
        audio_ms: this.audioMs,
        text: result.text,
        segments: result.segments.map((s) => ({ start_ms: s.startMs, end_ms: s.endMs, text: s.text })),
      });
      await this.settle(code, reason);
      this.transport.close(code, reason.slice(0, REASON_MAX));
    } catch (err) {
      this.fail(CLOSE.unavailable, 'BACKEND_UNAVAILABLE', `the live backend failed while finishing: ${(err as Error).message}`);
    }
  }

  private fail(code: number, errorCode: ErrorCode, message: string): void {
    if (this.state === 'closed') return;
    this.call?.cancel();
    this.transport.send({ type: 'error', code: errorCode, message });
    void this.settle(code, message).finally(() => this.transport.close(code, message.slice(0, REASON_MAX)));
  }

  /** Once: the audit row completed and the audio streamed accounted. */
  private async settle(code: number, reason: string): Promise<void> {
    if (this.state === 'closed') return;
    const opened = this.state !== 'awaiting_open' && this.state !== 'opening';
    this.state = 'closed';
    this.stopIdle();
    if (!opened) return;
    await Promise.allSettled([
      this.deps.db.streamSession.updateMany({
        where: { id: this.id, closedAt: null },
        data: { closedAt: new Date(), audioMs: this.audioMs, finals: this.finals, closeCode: code, closeReason: reason.slice(0, 255) },
      }),
      this.audioMs > 0 &&
        recordUsage(this.deps.redis, {
          eventId: `scaiecho.stream.${this.id}`,
          tenantId: this.caller.tenantId,
          userId: this.caller.userId,
          kind: 'transcription',
          at: new Date(),
          requests: 1,
          audioMs: this.audioMs,
        }),
    ]);
  }

  private touch(): void {
    this.stopIdle();
    this.idle = setTimeout(() => this.fail(CLOSE.idle, 'STREAM_IDLE_TIMEOUT', `no audio for ${Math.round(this.deps.limits.idleMs / 1000)} s`), this.deps.limits.idleMs);
  }

  private stopIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
  }
}
