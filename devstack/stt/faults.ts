// The switch a test flips to make a reference server misbehave while it runs.
// Requests consult it once they are complete, just before the engine would run,
// so a stall looks like a hung engine and not like a slow upload.

export type FaultMode = 'ok' | 'fail' | 'stall' | 'offline';
export const FAULT_MODES = ['ok', 'fail', 'stall', 'offline'] as const satisfies readonly FaultMode[];

/** How a failed request answers, where the server lets the test choose (the reference ScaiGrid does). */
export interface InjectedFailure {
  status?: number;
  retryAfterSeconds?: number;
}

export type Admission = 'proceed' | 'fail' | 'aborted';
/** An admission that carries the failure asked for when this request was failed. */
export type Verdict = 'proceed' | 'aborted' | { fail: InjectedFailure };

export class FaultSwitch {
  #mode: FaultMode = 'ok';
  /** How many more requests "fail" or "stall" takes; undefined means all of them. */
  #remaining: number | undefined;
  #failure: InjectedFailure = {};
  #injected = 0;
  #wake: () => void = () => {};
  #changed = this.#nextChange();

  get mode(): FaultMode {
    return this.#mode;
  }

  /** Requests failed or stalled on purpose so far. */
  get injected(): number {
    return this.#injected;
  }

  /**
   * With a count, "fail" or "stall" takes that many requests and later ones
   * proceed; a request stalled by a count stays stalled until the next set()
   * or until its caller gives up, so a client's timeout is what ends it.
   */
  set(mode: FaultMode, count?: number, failure: InjectedFailure = {}): void {
    this.#mode = mode;
    this.#remaining = mode === 'fail' || mode === 'stall' ? count : undefined;
    this.#failure = failure;
    // Stalled requests wake up and look at the new mode.
    this.#wake();
    this.#changed = this.#nextChange();
  }

  /** What to do with a request that is ready to be answered; waits while stalled. */
  async admit(signal: AbortSignal): Promise<Admission> {
    const verdict = await this.verdict(signal);
    return typeof verdict === 'string' ? verdict : 'fail';
  }

  /** admit(), for servers that answer a failure the way the test asked. */
  async verdict(signal: AbortSignal): Promise<Verdict> {
    let stalled = false;
    for (;;) {
      if (signal.aborted) return 'aborted';
      if (this.#mode === 'ok') return 'proceed';
      // "offline" here is a request that slipped in while the server was going away.
      if (this.#mode === 'fail' || this.#mode === 'offline') {
        const failure = this.#failure;
        this.#take();
        return { fail: failure };
      }
      if (!stalled) this.#take();
      stalled = true;
      // Only set() ends a stall: a count running out leaves those it took waiting.
      await Promise.race([
        this.#changed,
        new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
      ]);
    }
  }

  /** One more request took the fault; once a count runs out, later requests proceed. */
  #take(): void {
    this.#injected++;
    if (this.#remaining !== undefined && --this.#remaining <= 0) {
      this.#mode = 'ok';
      this.#remaining = undefined;
    }
  }

  #nextChange(): Promise<void> {
    return new Promise<void>((resolve) => (this.#wake = resolve));
  }
}
