import { Counter, Gauge, type Registry } from 'prom-client';
import type { FeedMetrics } from './long-poll.js';

/**
 * How many clients wait for room events on this API process (long-polls and open
 * WebSockets), how the long-polls' waits end and where their first answers come from;
 * answers what the long-polls count with (long-poll.ts).
 */
export function waveDeliveryMetrics(
  registry: Registry,
  read: () => { syncWaiting: number; socketsOpen: number; bellListening: boolean },
): FeedMetrics {
  const wakes = new Counter({
    name: 'scaiwave_wave_sync_wakes_total',
    help: 'sync long-poll waits ended, by why: ring (the event feed delivered an event for the waiter, read on a ring here or from another process over NATS, or at its sweep), deadline, aborted',
    labelNames: ['reason'],
    registers: [registry],
  });
  new Gauge({
    name: 'scaiwave_wave_sync_waiting',
    help: 'sync long-polls waiting for a room event on this process',
    registers: [registry],
    collect() {
      this.set(read().syncWaiting);
    },
  });
  new Gauge({
    name: 'scaiwave_wave_bell_listening',
    help: '1 while this process hears the event bell of the others over NATS; 0 while it does not (its waiters wake at their deadline)',
    registers: [registry],
    collect() {
      this.set(read().bellListening ? 1 : 0);
    },
  });
  new Gauge({
    name: 'scaiwave_wave_sockets_open',
    help: 'room-event WebSockets open on this process',
    registers: [registry],
    collect() {
      this.set(read().socketsOpen);
    },
  });
  const firstReads = new Counter({
    name: 'scaiwave_wave_sync_first_reads_total',
    help: "sync long-polls by where their first answer came from: feed (the process's recent events of the tenant, the cursor being in their span) or log (MariaDB)",
    labelNames: ['source'],
    registers: [registry],
  });
  return { woken: (reason) => wakes.inc({ reason }), firstRead: (source) => firstReads.inc({ source }) };
}
