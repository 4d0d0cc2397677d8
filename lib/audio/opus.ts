import { OpusDecoder } from 'opus-decoder';

// Opus packets, as WebRTC carries them (RFC 7587: one packet of 2.5-120 ms
// a time, 48 kHz RTP clock whatever the coded band), to 16-bit mono PCM.
// libopus decodes to 8, 12, 16, 24 or 48 kHz itself, so asking it for the
// rate the STT nodes decode at is its own band-limited resampling, not ours; a
// stereo packet is mixed down by the decoder. Each decoder is a WebAssembly
// instance of its own (a shared heap that grows would move under the others).

export type OpusRate = 8000 | 12_000 | 16_000 | 24_000 | 48_000;

/** The longest packet RFC 6716 allows: 120 ms of the largest frames. */
const MAX_PACKET_BYTES = 1275 * 3 + 7;

export class OpusPcmDecoder {
  private readonly opus: OpusDecoder<OpusRate>;
  readonly ready: Promise<void>;

  constructor(readonly sampleRate: OpusRate) {
    this.opus = new OpusDecoder({ channels: 1, sampleRate });
    this.ready = this.opus.ready;
  }

  /** PCM s16le mono of one packet; undefined for one that does not decode (it is skipped, as a lost one is). */
  decode(packet: Uint8Array): Buffer | undefined {
    if (packet.length === 0 || packet.length > MAX_PACKET_BYTES) return undefined;
    const out = this.opus.decodeFrame(packet);
    if (out.errors.length > 0 || out.samplesDecoded === 0) return undefined;
    const samples = out.channelData[0]!;
    const pcm = Buffer.allocUnsafe(out.samplesDecoded * 2);
    for (let i = 0; i < out.samplesDecoded; i++) {
      const s = Math.max(-1, Math.min(1, samples[i]!));
      pcm.writeInt16LE(Math.round(s * (s < 0 ? 0x8000 : 0x7fff)), i * 2);
    }
    return pcm;
  }

  free(): void {
    this.opus.free();
  }
}
