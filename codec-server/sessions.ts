import { randomBytes } from 'node:crypto';
import type { Caller } from '../lib/auth/caller-identity.js';

// The Temporal UI calls the codec server from the browser, and sends along
// what the browser holds for it ("include cross-origin credentials"): a
// cookie. An operator signs in once on the codec server's own page with an
// operator credential; the cookie holds a random session id, never the
// credential. Sessions live in this process: a restart signs everyone out.

export const SESSION_COOKIE = 'scaiwave_codec_session';
export const SESSION_MS = 8 * 60 * 60 * 1000;

export class CodecSessions {
  private readonly sessions = new Map<string, { caller: Caller; until: number }>();

  open(caller: Caller): string {
    this.sweep();
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { caller, until: Date.now() + SESSION_MS });
    return id;
  }

  callerOf(id: string | undefined): Caller | null {
    if (!id) return null;
    const s = this.sessions.get(id);
    if (!s || s.until <= Date.now()) return null;
    return s.caller;
  }

  close(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) if (s.until <= now) this.sessions.delete(id);
  }
}
