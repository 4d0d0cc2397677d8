// The switch a test flips to make a reference STT server misbehave while it runs.
// Requests consult it once they are complete, just before the engine would run,
// so a stall looks like a hung engine and not like a slow upload.

export type FaultMode = 'ok' | 'fail' | 'stall' | 'offline';
export const FAULT_MODES = ['ok', 'fail', 'stall', 'offline'] as const satisfies readonly FaultMode[];

export type Admission = 'proceed' | 'fail' | 'aborted';

export class FaultSwitch {
  #mode: FaultMode = 'ok';
  /** How many more requests "fail" applies to; undefined means all of them. */
  #remaining: number | undefined;
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

  set(mode: FaultMode, count?: number): void {
    this.#mode = mode;
    this.#remaining = mode === 'fail' ? count : undefined;
    // Stalled requests wake up and look at the new mode.
    this.#wake();
    this.#changed = this.#nextChange();
  }

  /** What to do with a request that is ready to be answered; waits while stalled. */
  async admit(signal: AbortSignal): Promise<Admission> {
    let stalled = false;
    for (;;) {
      if (signal.aborted) return 'aborted';
      if (this.#mode === 'ok') return 'proceed';
      // "offline" here is a request that slipped in while the server was going away.
      if (this.#mode === 'fail' || this.#mode === 'offline') {
        this.#injected++;
        if (this.#remaining !== undefined && --this.#remaining <= 0) this.set('ok');
        return 'fail';
      }
      if (!stalled) this.#injected++;
      stalled = true;
      await Promise.race([
        this.#changed,
        new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
      ]);
    }
  }

  #nextChange(): Promise<void> {
    return new Promise<void>((resolve) => (this.#wake = resolve));
  }
}
