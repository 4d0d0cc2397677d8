import type { Caller } from '../../../lib/auth/caller-identity.js';
import { AppError, notFound } from '../../../lib/errors.js';
import { WebRtcSession, type Answered, type WebRtcDeps, type WebRtcOffer } from './webrtc-session.js';

// The WebRTC sessions of this API process, in its memory (a peer connection
// cannot move): at most `max` open or opening at once, each found by its id
// by its own caller only. An ended session stays a little while, so a control
// socket that attaches late still gets the closing frames.

const LINGER_MS = 30_000;

export class WebRtcSessions {
  private readonly sessions = new Map<string, WebRtcSession>();
  private readonly lingering = new Set<NodeJS.Timeout>();
  private opening = 0;
  private closing = false;

  constructor(
    private readonly deps: WebRtcDeps,
    private readonly max: number,
  ) {}

  /** open or opening */
  get active(): number {
    let n = this.opening;
    for (const s of this.sessions.values()) if (!s.isEnded) n += 1;
    return n;
  }

  async open(caller: Caller, offer: WebRtcOffer): Promise<Answered & { session: WebRtcSession }> {
    if (this.active >= this.max) throw new AppError('SERVICE_UNAVAILABLE', 'this instance holds all the WebRTC sessions it may; retry', undefined, { 'Retry-After': '1' });
    this.opening += 1;
    try {
      const session = new WebRtcSession(this.deps, caller);
      const answered = await session.open(offer);
      if (this.closing) {
        // answered while the API was shutting down: not handed out
        await session.shutdown();
        throw new AppError('SERVICE_DRAINING', 'this instance is shutting down; retry', undefined, { 'Retry-After': '1' });
      }
      this.sessions.set(session.id, session);
      void session.ended.then(() => {
        const timer = setTimeout(() => (this.lingering.delete(timer), this.sessions.delete(session.id)), LINGER_MS);
        timer.unref();
        this.lingering.add(timer);
      });
      return { ...answered, session };
    } finally {
      this.opening -= 1;
    }
  }

  /** Another tenant's or user's session is not found, as any object of theirs. */
  find(caller: Caller, id: string): WebRtcSession {
    const s = this.sessions.get(id);
    if (!s || s.caller.tenantId !== caller.tenantId || s.caller.userId !== caller.userId) throw notFound('WebRTC session');
    return s;
  }

  /** The API shuts down: every session ended, its rows completed. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.sessions.values()].map((s) => s.shutdown()));
    for (const t of this.lingering) clearTimeout(t);
    this.lingering.clear();
    this.sessions.clear();
  }
}
