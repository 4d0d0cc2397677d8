import { AppError } from '../errors.js';
import { retryAfterSeconds, type FailureLimits, type Failures, type Windows } from './windows.js';

// Failed authentications are counted in one-minute windows shared by every API
// pod (windows.ts), on both sides of each presentation: its client address
// (`authfail`), and the credential it names, read without verifying anything
// (lib/auth/credential-names.ts: an API key's prefix, a token's claimed `sub`),
// from any address (`credfail`) and from this address (`pairfail`). A side is
// full once it holds its limit of failures:
// SCAIWAVE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE per address,
// SCAIWAVE_RATE_LIMIT_CREDENTIAL_FAILURES_PER_MINUTE per credential.
// Successes never count.
//
// The rule. Resolving a credential (a MariaDB lookup, a signature check) is what
// guessing costs us, so a presentation is refused before any of it, with 429 and
// Retry-After, only when one side is full and the other points at guessing too:
//
//   a full address, and a credential that has failed this window (anywhere), or
//     none named: the people behind one office NAT still present keys and
//     tokens that never failed, and those are looked up;
//   a full credential, that has failed from this address before: its owner,
//     presenting it from anywhere it never failed from, is still looked up,
//     however many addresses guess at it elsewhere.
//
// Everything else is resolved. A credential that verifies is admitted whatever
// the failure windows hold (the tenant's and the key's rate limits still apply).
// One that does not is counted on each side not yet full, and answered 429 if a
// side already was (401 otherwise). So one address guessing goes on getting
// lookups only for credentials it never tried, each refused as it fails; many
// addresses guessing one key get a lookup each once its side is full, and are
// refused the right key too. Neither can make an office colleague's key fail,
// nor fail from its owner's address, and that is all those two are judged by.
// Refused then is only a credential guessed at from the very address it is
// presented from (a script in the same office after that colleague's key).
//
// Knowing a side full takes a round trip, which most requests must not pay: each
// process remembers a side some count reported full until its window ends. A
// presentation touching nothing remembered is resolved at once (the admitted
// request then costs admit.ts's one round trip); one that touches a remembered
// side asks Redis for the other first, unless memory alone refuses it. A side
// full elsewhere costs each pod at most one lookup before it learns.

/** Full sides this process remembers; past it the memory starts over (Redis still knows them). */
const MAX_REMEMBERED = 10_000;

/** Who is trying to authenticate: the client address and the credential named, null when it names none. */
interface Presented {
  address: string;
  credential: string | null;
}

type Side = 'address' | 'credential';

interface Refusal {
  side: Side;
  ms: number;
}

export class AuthFailureLimiter {
  private readonly fullUntil = new Map<string, number>();

  constructor(
    private readonly windows: Windows,
    private readonly limits: FailureLimits,
  ) {}

  /** One authentication attempt: refused before `authenticate` runs when the rule says so, counted when it fails. */
  async attempt<T>(presented: Presented, authenticate: () => Promise<T>): Promise<T> {
    await this.refuseSuspect(presented);
    try {
      return await authenticate();
    } catch (err) {
      throw await this.failed(presented, err);
    }
  }

  private async refuseSuspect(p: Presented): Promise<void> {
    const addressMs = this.remembered(`a:${p.address}`);
    const credentialMs = p.credential === null ? 0 : this.remembered(`c:${p.credential}`);
    if (addressMs === 0 && credentialMs === 0) return;
    // A full credential has failed, so with a full address the rule refuses it without asking.
    if (addressMs > 0 && (p.credential === null || credentialMs > 0)) throw refusal({ side: 'address', ms: addressMs });
    const windows = await this.windows.failures(p.address, p.credential, this.limits, false);
    this.learn(p, windows, false);
    const refused = this.suspect(windows);
    if (refused) throw refusal(refused);
  }

  /** The rule above: a full side refuses a lookup when the other side is not clean. */
  private suspect({ address, credential }: Failures): Refusal | null {
    if (address.failures >= this.limits.address && !(credential && credential.anywhere.failures === 0)) {
      return { side: 'address', ms: address.ms };
    }
    if (credential && credential.anywhere.failures >= this.limits.credential && credential.fromAddress.failures > 0) {
      return { side: 'credential', ms: credential.anywhere.ms };
    }
    return null;
  }

  /** The error to answer for a presentation refused with `err`: a refused credential counts, and is 429 if a side was full. */
  private async failed(p: Presented, err: unknown): Promise<unknown> {
    const counted = err instanceof AppError && err.code === 'UNAUTHORIZED';
    const windows = await this.windows.failures(p.address, p.credential, this.limits, counted);
    this.learn(p, windows, counted);
    const full = this.fullSide(windows);
    return full ? refusal(full) : err;
  }

  private fullSide({ address, credential }: Failures): Refusal | null {
    if (address.failures >= this.limits.address) return { side: 'address', ms: address.ms };
    if (credential && credential.anywhere.failures >= this.limits.credential) return { side: 'credential', ms: credential.anywhere.ms };
    return null;
  }

  /** Remembers each side that is full now, this failure included when `counted`. */
  private learn(p: Presented, { address, credential }: Failures, counted: boolean): void {
    const thisOne = counted ? 1 : 0;
    if (address.failures + thisOne >= this.limits.address) this.remember(`a:${p.address}`, address.ms);
    if (credential && credential.anywhere.failures + thisOne >= this.limits.credential) this.remember(`c:${p.credential}`, credential.anywhere.ms);
  }

  private remember(key: string, ms: number): void {
    if (ms <= 0) return;
    if (this.fullUntil.size >= MAX_REMEMBERED) this.fullUntil.clear();
    this.fullUntil.set(key, Date.now() + ms);
  }

  /** ms until a remembered full side ends; 0 when none is remembered. */
  private remembered(key: string): number {
    const until = this.fullUntil.get(key);
    if (until === undefined) return 0;
    const ms = until - Date.now();
    if (ms > 0) return ms;
    this.fullUntil.delete(key);
    return 0;
  }
}

const REFUSED_FOR: Record<Side, string> = { address: 'from this address', credential: 'with this credential' };

function refusal({ side, ms }: Refusal): AppError {
  const seconds = retryAfterSeconds(ms);
  return new AppError('RATE_LIMITED', `too many failed authentications ${REFUSED_FOR[side]}; retry in ${seconds} s`, undefined, {
    'Retry-After': String(seconds),
  });
}
