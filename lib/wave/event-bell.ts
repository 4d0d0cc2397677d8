import type { Subscription } from 'nats';
import type { Config } from '../config.js';
import type { Logger } from '../infra/logger.js';
import type { NatsHandle } from '../infra/nats-handle.js';
import { subject } from '../infra/nats.js';

// Wakes the sync long-polls and WebSockets of every API process when a
// tenant's events become readable. The relay that committed them rings
// (`ring`), on a plain NATS subject outside the WAVE_ROOMS stream: the ring
// carries nothing but the tenant id and is worth nothing once missed, because
// every waiter also wakes at its own deadline and reads the log again.

const ROOT = 'wavebell';

type Waiter = () => void;

export class EventBell {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private sub: Subscription | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly nats: NatsHandle,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {
    this.subscribe();
  }

  /** Tells every API process that these tenants have new events to read. */
  ring(tenantIds: string[]): void {
    for (const tenantId of tenantIds) this.wake(tenantId);
    try {
      const nc = this.nats.get();
      for (const tenantId of tenantIds) nc.publish(subject(this.config, `${ROOT}.${tenantId}`));
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'event bell not rung on NATS; other processes read at their deadline');
    }
  }

  /** Resolves when the tenant's bell rings, at `deadline` (epoch ms), or when `signal` aborts, whichever comes first. */
  wait(tenantId: string, deadline: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(tenantId) ?? new Set<Waiter>();
      this.waiters.set(tenantId, set);
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(tenantId);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.sub?.unsubscribe();
    for (const set of this.waiters.values()) for (const w of [...set]) w();
  }

  private wake(tenantId: string): void {
    for (const w of [...(this.waiters.get(tenantId) ?? [])]) w();
  }

  /** Once NATS is there; the client resubscribes by itself after a reconnect. */
  private subscribe(): void {
    if (this.closed) return;
    try {
      const prefix = subject(this.config, `${ROOT}.`);
      this.sub = this.nats.get().subscribe(`${prefix}*`, {
        callback: (_err, msg) => this.wake(msg.subject.slice(prefix.length)),
      });
    } catch {
      this.retry = setTimeout(() => this.subscribe(), 1000);
    }
  }
}
