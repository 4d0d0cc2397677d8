import { pcmWav } from '../../lib/audio/wav.js';
import type { LiveEngines } from './engine.js';
import type { PartialStream } from './incremental.js';
import type { SttEngine, Transcript, TranscriptSegment } from './transcript.js';

// Live decoding for the reference node: audio arrives as raw 16-bit mono PCM
// while it is spoken. Partials come from pocketsphinx's incremental decoder,
// fed the utterance's audio as it arrives (incremental.ts), every
// INCREMENTAL_EVERY_MS; a stream at a rate it cannot take has its growing
// utterance decoded again every PARTIAL_EVERY_MS instead. Each utterance is
// decoded once more whole when a pause ends it (its final), by the finals'
// engine, which may be slower and better (engine.ts liveEngines). An utterance
// ends at END_PAUSE_MS below the speech level, or when the caller half-closes.

export interface LiveDelta extends TranscriptSegment {
  isFinal: boolean;
}

const FRAME_MS = 20;
const PARTIAL_EVERY_MS = 800;
const INCREMENTAL_EVERY_MS = 300;
const END_PAUSE_MS = 500;
/** Audio kept from before speech starts: a word's soft onset sits below the speech level, and cut off it is misheard. */
const PRE_ROLL_MS = 300;
/** RMS of a 16-bit frame above which it counts as speech (flite and a quiet room sit far apart). */
const SPEECH_RMS = 300;

export class LiveTranscriber {
  private readonly frameBytes: number;
  private pending = Buffer.alloc(0);
  /** the utterance being spoken: its PCM, and where in the stream it began */
  private utterance: Buffer[] = [];
  private utteranceStartMs = 0;
  private utteranceBytes = 0;
  /** the last PRE_ROLL_MS of quiet before any utterance */
  private preRoll: Buffer[] = [];
  private silentMs = 0;
  private sinceDecodeMs = 0;
  private streamMs = 0;
  private partialRunning = false;
  private lastPartial = '';
  /** the utterance's incremental decoder, and its audio not fed to it yet */
  private stream: PartialStream | undefined;
  private unheard: Buffer[] = [];
  private readonly partialEveryMs: number;
  /** finals decode one after another, in order */
  private finals: Promise<void> = Promise.resolve();
  private readonly segments: TranscriptSegment[] = [];
  private engineMs = 0;

  constructor(
    private readonly engines: LiveEngines,
    private readonly sampleRate: number,
    private readonly emit: (d: LiveDelta) => void,
    private readonly signal: AbortSignal,
  ) {
    this.frameBytes = Math.round((sampleRate * FRAME_MS) / 1000) * 2;
    this.partialEveryMs = this.incremental() ? INCREMENTAL_EVERY_MS : PARTIAL_EVERY_MS;
    signal.addEventListener('abort', () => this.closeStream(), { once: true });
  }

  private incremental() {
    const decoder = this.engines.incremental;
    return decoder && decoder.sampleRate === this.sampleRate ? decoder : undefined;
  }

  push(audio: Uint8Array): void {
    this.pending = Buffer.concat([this.pending, audio]);
    while (this.pending.length >= this.frameBytes) {
      const frame = this.pending.subarray(0, this.frameBytes);
      this.pending = this.pending.subarray(this.frameBytes);
      this.frame(Buffer.from(frame));
    }
  }

  /** The caller half-closed: what is left is the last utterance; answers the whole transcript once every final is out. */
  async end(): Promise<Transcript> {
    if (this.pending.length > 0) this.frame(this.pending);
    this.endUtterance();
    await this.finals;
    return {
      text: this.segments.map((s) => s.text).join(' '),
      segments: this.segments,
      language: 'en',
      audioDurationMs: Math.round(this.streamMs),
      engineMs: Math.round(this.engineMs),
    };
  }

  private frame(frame: Buffer): void {
    const ms = (frame.length / 2 / this.sampleRate) * 1000;
    const speech = rms(frame) >= SPEECH_RMS;
    this.streamMs += ms;
    if (this.utteranceBytes === 0 && !speech) {
      this.preRoll.push(frame);
      if (this.preRoll.length * FRAME_MS > PRE_ROLL_MS) this.preRoll.shift();
      return;
    }
    if (this.utteranceBytes === 0) {
      const kept = this.preRoll.reduce((n, f) => n + f.length, 0);
      this.utteranceStartMs = this.streamMs - ms - (kept / 2 / this.sampleRate) * 1000;
      this.utterance = this.preRoll;
      this.utteranceBytes = kept;
      this.stream = this.incremental()?.open();
      this.unheard = this.stream ? [...this.preRoll] : [];
      this.preRoll = [];
    }
    this.utterance.push(frame);
    if (this.stream) this.unheard.push(frame);
    this.utteranceBytes += frame.length;
    this.silentMs = speech ? 0 : this.silentMs + ms;
    this.sinceDecodeMs += ms;
    if (this.silentMs >= END_PAUSE_MS) this.endUtterance();
    else if (this.sinceDecodeMs >= this.partialEveryMs) this.partial();
  }

  private partial(): void {
    if (this.partialRunning) return;
    this.sinceDecodeMs = 0;
    this.partialRunning = true;
    const startMs = this.utteranceStartMs;
    const heardMs = (this.utteranceBytes / 2 / this.sampleRate) * 1000;
    const hypothesis = this.stream
      ? this.stream.hear(Buffer.concat(this.unheard.splice(0)))
      : this.decode(this.engines.partials, Buffer.concat(this.utterance)).then((t) => t.text);
    void hypothesis
      .then((text) => {
        // A partial that lost the race with its utterance's final says nothing new.
        if (text && text !== this.lastPartial && this.utteranceBytes > 0 && startMs === this.utteranceStartMs) {
          this.lastPartial = text;
          this.emit({ text, startMs, endMs: Math.round(startMs + heardMs), isFinal: false });
        }
      })
      .catch(() => undefined)
      .finally(() => (this.partialRunning = false));
  }

  private closeStream(): void {
    this.stream?.close();
    this.stream = undefined;
    this.unheard = [];
  }

  private endUtterance(): void {
    if (this.utteranceBytes === 0) return;
    const pcm = Buffer.concat(this.utterance);
    const startMs = this.utteranceStartMs;
    this.utterance = [];
    this.utteranceBytes = 0;
    this.silentMs = 0;
    this.sinceDecodeMs = 0;
    this.lastPartial = '';
    this.closeStream();
    this.finals = this.finals.then(async () => {
      const t = await this.decode(this.engines.finals, pcm);
      if (!t.text) return;
      const segment = { text: t.text, startMs, endMs: startMs + t.audioDurationMs };
      this.segments.push(segment);
      this.emit({ ...segment, isFinal: true });
    });
  }

  private async decode(engine: SttEngine, pcm: Buffer): Promise<Transcript> {
    const t = await engine.transcribe(pcmWav(pcm, this.sampleRate), 'wav', this.signal);
    this.engineMs += t.engineMs;
    return t;
  }
}

function rms(frame: Buffer): number {
  let sum = 0;
  const n = frame.length >> 1;
  for (let i = 0; i < n; i++) {
    const s = frame.readInt16LE(i * 2);
    sum += s * s;
  }
  return Math.sqrt(sum / Math.max(1, n));
}
