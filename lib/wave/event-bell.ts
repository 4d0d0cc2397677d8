import { randomUUID } from 'node:crypto';
import type { NatsConnection, Subscription } from 'nats';
import type { Config } from '../config.js';
import type { Logger } from '../infra/logger.js';
import type { NatsHandle } from '../infra/nats-handle.js';
import { subject } from '../infra/nats.js';
import type { RelayedEvent } from './outbox-relay.js';

// Wakes the sync long-polls and WebSockets of every API process when events
// they would read become readable. The relay that committed them rings, on a
// plain NATS subject per tenant outside the WAVE_ROOMS stream, naming the rooms
// and the users (of membership changes) concerned; a waiter wakes only for its
// own rooms or for itself (invited somewhere new), so a busy room does not wake
// every socket of the tenant. A missed ring costs latency, not events: every
// waiter also wakes at its own deadline and reads the log again. The process
// that rings wakes its own waiters at once and ignores the echo of its ring:
// heard twice, every socket feed and long-poll of the process read twice.

const ROOT = 'wavebell';

interface Ring {
  rooms: string[];
  users: string[];
  /** the process that rang: it woke its own waiters already, and ignores its ring coming back */
  from?: string;
}

export interface Listener {
  userId: string;
  /** the rooms whose events the waiter reads */
  rooms: ReadonlySet<string>;
}

/** Why a wait ended: a ring naming the waiter, its deadline, or its client (or this process) going away. */
export type WakeReason = 'ring' | 'deadline' | 'aborted';

interface Waiter extends Listener {
  wake(reason: WakeReason): void;
}

export class EventBell {
  private readonly id = randomUUID();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly taps: ((tenantId: string) => void)[] = [];
  private sub: Subscription | undefined;
  /** the connection `sub` was made on, and the one whose server has confirmed it */
  private subscribedOn: NatsConnection | undefined;
  private heard: NatsConnection | undefined;
  private check: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly nats: NatsHandle,
    private readonly config: Config,
    private readonly logger: Logger,
    /** counts how waits end (metrics): many at their deadline means rings are missed, or rooms are quiet */
    private readonly woken: (reason: WakeReason) => void = () => undefined,
  ) {
    this.subscribe();
  }

  /** Tells every API process what just became readable. */
  ring(events: RelayedEvent[]): void {
    const byTenant = new Map<string, Ring>();
    for (const e of events) {
      const ring = byTenant.get(e.tenantId) ?? { rooms: [], users: [] };
      byTenant.set(e.tenantId, ring);
      ring.rooms.push(e.roomId);
      if (e.userId) ring.users.push(e.userId);
    }
    for (const [tenantId, ring] of byTenant) this.wake(tenantId, ring);
    try {
      const nc = this.nats.get();
      for (const [tenantId, ring] of byTenant) nc.publish(subject(this.config, `${ROOT}.${tenantId}`), JSON.stringify({ ...ring, from: this.id }));
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'event bell not rung on NATS; other processes read at their deadline');
    }
  }

  /** Resolves when a ring concerns the listener, at `deadline` (epoch ms), or when `signal` aborts, whichever comes first. */
  wait(tenantId: string, listener: Listener, deadline: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(tenantId) ?? new Set<Waiter>();
      this.waiters.set(tenantId, set);
      const wake = (reason: WakeReason): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        if (!set.delete(waiter)) return;
        if (set.size === 0) this.waiters.delete(tenantId);
        this.woken(reason);
        resolve();
      };
      const waiter: Waiter = { ...listener, wake };
      const aborted = () => wake('aborted');
      const timer = setTimeout(() => wake('deadline'), Math.max(0, deadline - Date.now()));
      signal?.addEventListener('abort', aborted, { once: true });
      set.add(waiter);
    });
  }

  /** How many wait() calls are waiting now. */
  get waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  /** Told of every ring, whatever it names (lib/wave/event-feed.ts reads for its sockets). */
  tap(fn: (tenantId: string) => void): void {
    this.taps.push(fn);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.check);
    this.sub?.unsubscribe();
    for (const set of this.waiters.values()) for (const w of [...set]) w.wake('aborted');
  }

  private wake(tenantId: string, ring: Ring): void {
    for (const tap of this.taps) tap(tenantId);
    for (const w of [...(this.waiters.get(tenantId) ?? [])]) {
      if (ring.users.includes(w.userId) || ring.rooms.some((r) => w.rooms.has(r))) w.wake('ring');
    }
  }

  /** True once this process hears rings: subscribed, and the server has the subscription. */
  get listening(): boolean {
    return this.heard !== undefined && this.heard === this.subscribedOn && !this.heard.isClosed() && this.sub?.isClosed() === false;
  }

  /**
   * Subscribes once NATS is there, and again whenever the handle has had to
   * make a new connection (a reconnect of the same one keeps the subscription).
   * Checked every second; `listening` turns true only after a flush, when the
   * server has the subscription and rings published from then on reach it.
   */
  private subscribe(): void {
    if (this.closed) return;
    this.check = setTimeout(() => this.subscribe(), 1000);
    let nc: NatsConnection;
    try {
      nc = this.nats.get();
    } catch {
      return;
    }
    if (nc === this.subscribedOn) return;
    this.sub?.unsubscribe();
    const prefix = subject(this.config, `${ROOT}.`);
    this.subscribedOn = nc;
    this.sub = nc.subscribe(`${prefix}*`, {
      callback: (_err, msg) => {
        try {
          const ring = msg.json<Ring>();
          if (ring.from !== this.id) this.wake(msg.subject.slice(prefix.length), ring);
        } catch {
          // not a ring of ours: nothing to wake
        }
      },
    });
    nc.flush().then(
      () => (this.heard = nc),
      () => (this.subscribedOn = undefined),
    );
  }
}
