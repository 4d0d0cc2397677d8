import { AppError } from '../../lib/errors.js';
import { retryAfterSeconds, type Windows } from './windows.js';

/** Addresses this process remembers as refused; past it the memory starts over (Redis still refuses them). */
const MAX_REMEMBERED = 10_000;

/**
 * Failed authentications per client address, in a one-minute window shared by
 * every API pod (`rl:authfail`, see windows.ts). Past the limit an address gets
 * 429 with Retry-After whatever it presents, so guessing keys or replaying
 * stolen tokens in bulk costs the attacker a minute per handful of tries.
 * Successful requests never count.
 *
 * On /v1 the check rides in the same Redis script as the rate limits, after the
 * credential is resolved (admit.ts). So that a refused address still costs no
 * credential lookup, this process remembers every refusal Redis reported until
 * its window ends and refuses the address at once: an address refused
 * elsewhere costs each pod at most one lookup before it learns.
 */
export class AuthFailureLimiter {
  private readonly refusedUntil = new Map<string, number>();

  constructor(
    private readonly windows: Windows,
    readonly perMinute: number,
  ) {}

  /** Throws the 429 if this process already knows the address is refused. */
  refuseIfRemembered(address: string): void {
    const until = this.refusedUntil.get(address);
    if (until === undefined) return;
    const ms = until - Date.now();
    if (ms > 0) throw this.refusal(address, ms);
    this.refusedUntil.delete(address);
  }

  /** The error to answer after `address` presented a credential that was refused with `err`; a refused one counts. */
  async failed(address: string, err: unknown): Promise<unknown> {
    const refusedMs = await this.windows.failed(address, this.perMinute, err instanceof AppError && err.code === 'UNAUTHORIZED');
    return refusedMs === null ? err : this.refusal(address, refusedMs);
  }

  /** Runs one authentication attempt from `address` outside /v1 (service token, platform): check, attempt, count. */
  async attempt<T>(address: string, authenticate: () => Promise<T>): Promise<T> {
    this.refuseIfRemembered(address);
    const refusedMs = await this.windows.failing(address, this.perMinute);
    if (refusedMs !== null) throw this.refusal(address, refusedMs);
    try {
      return await authenticate();
    } catch (err) {
      throw await this.failed(address, err);
    }
  }

  /** The 429 for a refused address, remembered here until its window ends. */
  refusal(address: string, ms: number): AppError {
    if (ms > 0) {
      if (this.refusedUntil.size >= MAX_REMEMBERED) this.refusedUntil.clear();
      this.refusedUntil.set(address, Date.now() + ms);
    }
    const seconds = retryAfterSeconds(ms);
    return new AppError('RATE_LIMITED', `too many failed authentications from this address; retry in ${seconds} s`, undefined, {
      'Retry-After': String(seconds),
    });
  }
}
