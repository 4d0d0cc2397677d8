import type { Db } from '../../../lib/infra/db.js';
import type { DtlsState, IceState } from '../../../lib/webrtc/audio-peer.js';

// The mod_scaiecho_webrtc_session row of a WebRTC session: written when the
// offer is answered, stamped when media can flow, completed at the close.
// States are the furthest each transport got (a connection that later drops
// still reached "connected"), or "failed" when it failed.

const ICE_ORDER: readonly IceState[] = ['new', 'checking', 'connected', 'completed'];
const DTLS_ORDER: readonly DtlsState[] = ['new', 'connecting', 'connected'];

function further<S extends string>(order: readonly S[], reached: S, now: S): S {
  if (reached === 'failed' || now === 'failed') return 'failed' as S;
  return order.indexOf(now) > order.indexOf(reached) ? now : reached;
}

export interface WebRtcFigures {
  packetsReceived: number;
  packetsLost: number;
}

export class WebRtcRecord {
  ice: IceState = 'new';
  dtls: DtlsState = 'new';

  constructor(
    private readonly db: Db,
    readonly id: string,
  ) {}

  opened(row: { streamSessionId: string; tenantId: string; userId: string; codec: string }): Promise<unknown> {
    return this.db.webRtcSession.create({ data: { id: this.id, ...row } });
  }

  reachedIce(state: IceState): void {
    this.ice = further(ICE_ORDER, this.ice, state);
  }

  reachedDtls(state: DtlsState): void {
    this.dtls = further(DTLS_ORDER, this.dtls, state);
  }

  /** DTLS is up: SRTP keys exist, audio can flow. */
  connected(remoteCandidateType: string | undefined): Promise<unknown> {
    return this.db.webRtcSession.updateMany({
      where: { id: this.id, connectedAt: null },
      data: { connectedAt: new Date(), iceState: this.ice, dtlsState: this.dtls, remoteCandidateType: remoteCandidateType?.slice(0, 8) ?? null },
    });
  }

  closed(figures: WebRtcFigures, reason: string): Promise<unknown> {
    return this.db.webRtcSession.updateMany({
      where: { id: this.id, closedAt: null },
      data: { closedAt: new Date(), iceState: this.ice, dtlsState: this.dtls, ...figures, closeReason: reason.slice(0, 255) },
    });
  }
}
