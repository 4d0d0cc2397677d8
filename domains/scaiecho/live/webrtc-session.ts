import { OpusPcmDecoder } from '../../../lib/audio/opus.js';
import type { Caller } from '../../../lib/auth/caller-identity.js';
import { AppError, type ErrorCode } from '../../../lib/errors.js';
import { newId } from '../../../lib/infra/ids.js';
import { answerAudioOffer, UnusableOffer, type AudioPeer, type AudioPeerOptions, type DtlsState, type IceState } from '../../../lib/webrtc/audio-peer.js';
import { ReorderWindow } from '../../../lib/webrtc/reorder.js';
import type { BackendPreference } from '../policy.js';
import { CLOSE } from './frames.js';
import { HeldAudio } from './held-audio.js';
import { PendingFrames } from './pending-frames.js';
import { LiveSession, type LiveDeps } from './session.js';
import { WebRtcRecord } from './webrtc-record.js';

// A live session whose audio comes over WebRTC: the client's offer answered
// (lib/webrtc/audio-peer.ts), Opus packets put back in order, decoded to
// 16 kHz PCM and fed to the same LiveSession the WebSocket route uses (policy,
// node, failover, its stream session row, usage, idle and length limits).
// Its frames go to a control socket bound to the session id, held while none
// is attached. The peer failing, or ICE staying disconnected, ends the session
// as a close frame would: what the node still has is drained and told first.

export interface WebRtcDeps extends LiveDeps {
  peer: AudioPeerOptions;
}

export interface WebRtcOffer {
  sdp: string;
  language?: string;
  backend_preference?: BackendPreference;
}

/** Where the session's frames go while a control socket is attached (api/webrtc-socket.ts). */
export interface ControlSink {
  send(frame: object, droppable: boolean): void;
  close(code: number, reason: string): void;
}

export interface Answered {
  answer: string;
  streamSessionId: string;
  backendUsed: string;
  sampleRate: number;
}

/** The closed frame (domains/scaiecho/live/session.ts), as DELETE answers it. */
export interface ClosedSummary {
  session_id: string;
  reason: string;
  audio_ms: number;
  text: string;
  segments: { start_ms: number; end_ms: number; text: string }[];
}

/** The rate audio is decoded to: what the STT nodes decode at, a third of Opus's 48 kHz to carry. */
const PCM_RATE = 16_000;
/** Packets held while one is missing: 100 ms of Chromium's 20 ms packets, beyond a LAN's reordering. */
const REORDER_PACKETS = 5;
/** ICE comes back from a short disconnection by itself (a network switch, a lost burst); longer, the client is gone. */
const DISCONNECTED_MS = 10_000;
/** Audio held while the node is behind: 10 s. */
const HOLD_BYTES = 10 * PCM_RATE * 2;

type Frame = Record<string, unknown> & { type: string };

export class WebRtcSession {
  readonly id = newId();
  private readonly record: WebRtcRecord;
  private readonly live: LiveSession;
  private readonly pending = new PendingFrames();
  private readonly decoder = new OpusPcmDecoder(PCM_RATE);
  private readonly window = new ReorderWindow<Buffer>(REORDER_PACKETS, (packet) => this.decoded(packet));
  private readonly audio: HeldAudio;
  private control: ControlSink | undefined;
  private peer: AudioPeer | undefined;
  private opening: { resolve(f: Frame): void; reject(err: AppError): void } | undefined;
  private streaming = false;
  private recorded = false;
  private disconnected: NodeJS.Timeout | undefined;
  private endedWith: { code: number; reason: string } | undefined;
  /** the session's last word: its closed frame, or the error that ended it */
  private last: Frame | undefined;
  private markEnded!: () => void;
  /** settles once the session is over and its rows are complete */
  readonly ended = new Promise<void>((resolve) => (this.markEnded = resolve));

  constructor(
    private readonly deps: WebRtcDeps,
    readonly caller: Caller,
  ) {
    this.record = new WebRtcRecord(deps.db, this.id);
    this.audio = new HeldAudio(HOLD_BYTES, (pcm) => this.live.onAudio(pcm));
    this.live = new LiveSession(deps, caller, {
      send: (frame, o) => this.say(frame as Frame, o?.droppable ?? false),
      close: (code, reason) => void this.end(code, reason),
      pause: () => this.audio.pause(),
      resume: () => this.audio.resume(),
    });
  }

  get attached(): boolean {
    return this.control !== undefined;
  }

  get isEnded(): boolean {
    return this.endedWith !== undefined;
  }

  /** Answers the offer and opens the live session behind it; refused (with the session ended) on any error. */
  async open(offer: WebRtcOffer): Promise<Answered> {
    await this.decoder.ready;
    try {
      this.peer = await answerAudioOffer(offer.sdp, this.deps.peer, {
        packet: (seq, payload) => this.packet(seq, payload),
        ice: (s) => this.ice(s),
        dtls: (s) => this.dtls(s),
      });
    } catch (err) {
      await this.shutdown(CLOSE.badFrame, 'the offer could not be answered');
      if (err instanceof UnusableOffer) throw new AppError('VALIDATION_ERROR', err.message, { fields: [{ field: 'sdp', problem: err.message }] });
      throw err;
    }
    const ready = new Promise<Frame>((resolve, reject) => (this.opening = { resolve, reject }));
    this.live.start({ type: 'open', language: offer.language, backend_preference: offer.backend_preference, encoding: 'pcm_s16le', sample_rate: PCM_RATE });
    const frame = await ready;
    try {
      await this.record.opened({ streamSessionId: frame.session_id as string, tenantId: this.caller.tenantId, userId: this.caller.userId, codec: this.peer.codec });
      this.recorded = true;
    } catch (err) {
      await this.shutdown(CLOSE.serverError, 'the session could not be recorded');
      throw err;
    }
    return { answer: this.peer.answer, streamSessionId: frame.session_id as string, backendUsed: frame.backend_used as string, sampleRate: frame.sample_rate as number };
  }

  /**
   * The client's close (DELETE, or {"type":"close"} on the control socket):
   * drains, and answers the closed frame, or throws the error that ended the
   * session. Again on an ended session, the same answer.
   */
  async stop(): Promise<ClosedSummary> {
    this.drain('closed by the client');
    await this.ended;
    if (this.last?.type === 'closed') return this.last as unknown as ClosedSummary;
    if (this.last?.type === 'error') throw new AppError(this.last.code as ErrorCode, this.last.message as string);
    throw new AppError('SERVICE_DRAINING', 'the session ended as this instance shut down');
  }

  /** A control socket attaches: what was said before it comes first. One at a time; another may attach after it is gone. */
  attach(sink: ControlSink): void {
    if (this.control) throw new AppError('CONFLICT', 'a control socket is already attached to this session');
    for (const frame of this.pending.take()) sink.send(frame, false);
    if (this.endedWith) return sink.close(this.endedWith.code, this.endedWith.reason);
    this.control = sink;
  }

  detach(sink: ControlSink): void {
    if (this.control === sink) this.control = undefined;
  }

  /** The API is going away: the node call cancelled, the rows completed, the peer closed. */
  async shutdown(code = 1001, reason = 'server going away'): Promise<void> {
    await this.live.onGone(code, reason);
    await this.end(code, reason);
  }

  private say(frame: Frame, droppable: boolean): void {
    if (frame.type === 'ready') {
      this.streaming = true;
      this.opening?.resolve(frame);
    } else if (frame.type === 'error') {
      this.last = frame;
      this.opening?.reject(new AppError(frame.code as ErrorCode, frame.message as string));
    } else if (frame.type === 'closed') {
      this.last = frame;
    }
    if (frame.type === 'ready' || frame.type === 'error') this.opening = undefined;
    if (this.control) this.control.send(frame, droppable);
    else this.pending.add(frame, droppable);
  }

  private packet(seq: number, payload: Buffer): void {
    if (!this.streaming || this.endedWith) return;
    this.window.push(seq, payload);
  }

  private decoded(packet: Buffer): void {
    if (this.endedWith) return;
    const pcm = this.decoder.decode(packet);
    if (pcm) this.audio.push(pcm);
  }

  private ice(state: IceState): void {
    this.record.reachedIce(state);
    if (state === 'connected' || state === 'completed') {
      clearTimeout(this.disconnected);
      this.disconnected = undefined;
    } else if (state === 'disconnected') {
      this.disconnected ??= setTimeout(() => this.drain(`ICE stayed disconnected for ${DISCONNECTED_MS / 1000} s`), DISCONNECTED_MS);
    } else if (state === 'failed') {
      this.drain('ICE failed');
    } else if (state === 'closed') {
      this.drain('the peer connection closed');
    }
  }

  private dtls(state: DtlsState): void {
    this.record.reachedDtls(state);
    if (state === 'connected') {
      this.record.connected(this.peer?.remoteCandidateType()).catch((err: unknown) => this.deps.logger.warn({ err, session: this.id }, 'webrtc session row not stamped connected'));
    } else if (state === 'failed') {
      this.drain('DTLS failed');
    } else if (state === 'closed') {
      this.drain('the client closed the peer connection');
    }
  }

  /** What is held in the reorder window goes to the node first, then the session drains. */
  private drain(reason: string): void {
    if (this.endedWith || !this.streaming) return;
    this.window.flush();
    this.live.drain(reason);
  }

  /** Once: the session is over (the LiveSession closed its transport, or the API shuts down). */
  private async end(code: number, reason: string): Promise<void> {
    if (this.endedWith) return;
    this.endedWith = { code, reason };
    clearTimeout(this.disconnected);
    this.control?.close(code, reason);
    this.control = undefined;
    await this.peer?.close().catch(() => undefined);
    this.decoder.free();
    if (this.recorded) {
      await this.record
        .closed({ packetsReceived: this.window.received, packetsLost: this.window.lost }, reason)
        .catch((err: unknown) => this.deps.logger.warn({ err, session: this.id }, 'webrtc session row not completed'));
    }
    this.markEnded();
  }
}
