import { randomUUID } from 'node:crypto';
import type { NatsConnection, Subscription } from 'nats';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/infra/logger.js';
import type { NatsHandle } from '../../lib/infra/nats-handle.js';
import { subject } from '../../lib/infra/nats.js';
import type { RelayedEvent } from './outbox-relay.js';

// Tells the event feed of every API process (domains/wave/event-feed.ts, which
// serves the sync long-polls and WebSockets) when a tenant's events become
// readable. The relay that committed them rings, on a plain NATS subject per
// tenant outside the WAVE_ROOMS stream; the ring still names the rooms and the
// users (of membership changes) concerned, as processes of the version before
// the feed served long-polls read them. A missed ring costs latency, not
// events: the feed also reads at its sweep, a long-poll at its deadline. The
// process that rings taps its own feed at once and ignores the echo of its
// ring: heard twice, every feed of the process would read twice.

const ROOT = 'wavebell';

interface Ring {
  rooms: string[];
  users: string[];
  /** the process that rang: it tapped its own feed already, and ignores its ring coming back */
  from?: string;
}

export class EventBell {
  private readonly id = randomUUID();
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
    for (const tenantId of byTenant.keys()) this.wake(tenantId);
    try {
      const nc = this.nats.get();
      for (const [tenantId, ring] of byTenant) nc.publish(subject(this.config, `${ROOT}.${tenantId}`), JSON.stringify({ ...ring, from: this.id }));
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'event bell not rung on NATS; other processes read at their sweep');
    }
  }

  /** Told of every ring, whatever it names (domains/wave/event-feed.ts reads for its sockets). */
  tap(fn: (tenantId: string) => void): void {
    this.taps.push(fn);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.check);
    this.sub?.unsubscribe();
  }

  private wake(tenantId: string): void {
    for (const tap of this.taps) tap(tenantId);
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
          if (msg.json<Ring>().from !== this.id) this.wake(msg.subject.slice(prefix.length));
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
