import { RTCPeerConnection, RTCRtpCodecParameters, type RTCRtpTransceiver } from 'werift';

// The one place that speaks WebRTC (werift: ICE, DTLS-SRTP and RTP in
// TypeScript, no native code). A browser's offer is answered with a peer that
// only receives audio, in Opus, and whose ICE candidates are all gathered
// before the answer goes back, so a client needs no trickle: the addresses
// are host candidates on the addresses configured (nothing is asked of a STUN
// or TURN server).

export interface AudioPeerOptions {
  /** host candidate addresses; empty: every non-loopback address of the machine */
  hostAddresses: readonly string[];
  udpPorts?: readonly [number, number];
}

export type IceState = 'new' | 'checking' | 'connected' | 'completed' | 'disconnected' | 'failed' | 'closed';
export type DtlsState = 'new' | 'connecting' | 'connected' | 'failed' | 'closed';

export interface AudioPeerEvents {
  /** one Opus packet, in arrival order: the receiver puts them back in sequence */
  packet(seq: number, payload: Buffer): void;
  ice(state: IceState): void;
  dtls(state: DtlsState): void;
}

/** An offer this peer cannot answer: the client's mistake, said plainly. */
export class UnusableOffer extends Error {
  override readonly name = 'UnusableOffer';
}

const GATHER_MS = 5000;

export interface AudioPeer {
  answer: string;
  /** e.g. opus/48000/2 */
  codec: string;
  /** host | srflx | prflx | relay: the client's side of the pair ICE chose, once connected */
  remoteCandidateType(): string | undefined;
  close(): Promise<void>;
}

/** Answers `offer` (an SDP with an audio section offering Opus); events start flowing at once. */
export async function answerAudioOffer(offer: string, opts: AudioPeerOptions, on: AudioPeerEvents): Promise<AudioPeer> {
  if (!/^m=audio /m.test(offer)) throw new UnusableOffer('the offer has no audio section');
  if (!/^a=rtpmap:\d+ opus\/48000/im.test(offer)) throw new UnusableOffer('the offer does not offer Opus audio');
  const only = opts.hostAddresses.length > 0;
  const v4 = opts.hostAddresses.filter((a) => !a.includes(':'));
  const v6 = opts.hostAddresses.filter((a) => a.includes(':'));
  const pc = new RTCPeerConnection({
    codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 })], video: [] },
    // With addresses configured, exactly those are offered (and a single one per family is bound to).
    iceUseIpv4: !only,
    iceUseIpv6: !only,
    iceUseTcp: false,
    iceAdditionalHostAddresses: only ? [...opts.hostAddresses] : undefined,
    iceInterfaceAddresses: only ? { ...(v4.length === 1 && { udp4: v4[0] }), ...(v6.length === 1 && { udp6: v6[0] }) } : undefined,
    icePortRange: opts.udpPorts ? [opts.udpPorts[0], opts.udpPorts[1]] : undefined,
  });
  try {
    pc.onRemoteTransceiverAdded.subscribe((t) => t.setDirection('recvonly'));
    pc.iceConnectionStateChange.subscribe((s) => on.ice(s));
    pc.onTrack.subscribe((track) => {
      if (track.kind !== 'audio') return;
      track.onReceiveRtp.subscribe((rtp) => on.packet(rtp.header.sequenceNumber, rtp.payload));
    });
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    } catch (err) {
      throw new UnusableOffer(`the offer is not a usable SDP: ${(err as Error).message}`);
    }
    const audio = pc.getTransceivers().find((t) => t.kind === 'audio');
    if (!audio) throw new UnusableOffer('the offer has no audio section');
    await pc.setLocalDescription(await pc.createAnswer());
    for (const dtls of pc.dtlsTransports) dtls.onStateChange.subscribe((s) => on.dtls(s));
    await gathered(pc);
    const answer = pc.localDescription?.sdp;
    if (!answer) throw new Error('no local description after the answer was set');
    return {
      answer,
      codec: codecOf(audio),
      remoteCandidateType: () => /\btyp (\w+)/.exec(pc.iceTransports[0]?.getSelectedCandidatePair()?.remote.candidate ?? '')?.[1],
      close: () => pc.close(),
    };
  } catch (err) {
    await pc.close().catch(() => undefined);
    throw err;
  }
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ICE gathering did not complete in ${GATHER_MS} ms`)), GATHER_MS);
    pc.iceGatheringStateChange.subscribe((s) => {
      if (s !== 'complete') return;
      clearTimeout(timer);
      resolve();
    });
  });
}

function codecOf(t: RTCRtpTransceiver): string {
  const c = t.codecs[0];
  if (!c) throw new UnusableOffer('no audio codec in common: this peer takes Opus only');
  return [c.mimeType.split('/')[1]?.toLowerCase(), c.clockRate, c.channels].filter((x) => x !== undefined).join('/');
}
