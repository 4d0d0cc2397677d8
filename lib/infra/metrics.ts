import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { heapAfterGcGauge } from './heap-after-gc.js';
import { runChecks, type Check } from './health.js';

/** A registry per process (and per app in tests) so figures never mix. */
export function createMetricsRegistry(service: string, withDefaults = true): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (withDefaults) {
    collectDefaultMetrics({ register: registry });
    heapAfterGcGauge(registry);
  }
  return registry;
}

export interface HttpMetrics {
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route' | 'status'>;
}

export function httpMetrics(registry: Registry): HttpMetrics {
  return {
    requests: new Counter({
      name: 'scaiwave_http_requests_total',
      help: 'HTTP requests by route template and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'scaiwave_http_request_duration_seconds',
      help: 'HTTP request latency by route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

/** The API's credential cache (lib/auth/credential-cache.ts): whether it serves, and how full it is. */
export function credentialCacheGauges(registry: Registry, read: () => { listening: boolean; entries: number }): void {
  new Gauge({
    name: 'scaiwave_credential_cache_listening',
    help: '1 while the credential cache hears credential changes and serves; 0 while it is off (every request reads MariaDB)',
    registers: [registry],
    collect() {
      this.set(read().listening ? 1 : 0);
    },
  });
  new Gauge({
    name: 'scaiwave_credential_cache_entries',
    help: 'resolved credentials held by the credential cache',
    registers: [registry],
    collect() {
      this.set(read().entries);
    },
  });
}

/** Search indexing's lag per message, from its change to searchable; answers the histogram's `observe`. */
export function searchIndexLag(registry: Registry): (seconds: number) => void {
  const lag = new Histogram({
    name: 'scaiwave_search_index_lag_seconds',
    help: 'from a message change (its room event) to the index holding it',
    // 10 ms to 30 s, finest around the 2 s goal (issue 12), and beyond for a backlog.
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 20, 30, 60, 300],
    registers: [registry],
  });
  return (seconds) => lag.observe(seconds);
}

/**
 * 1 while a dependency answers the same check /health runs, 0 while it does not:
 * probed at each scrape, so an alert needs no one to call /health.
 */
export function dependencyUpGauge(registry: Registry, checks: Record<string, Check>): void {
  new Gauge({
    name: 'scaiwave_dependency_up',
    help: '1 while the dependency answers its /health check, 0 while it does not',
    labelNames: ['dependency'],
    registers: [registry],
    async collect() {
      for (const [name, result] of Object.entries(await runChecks(checks))) this.set({ dependency: name }, result.ok ? 1 : 0);
    },
  });
}

/** ScaiInfer nodes with a live heartbeat, per engine kind: 0 means that kind of work waits. */
export function nodesOnlineGauge(registry: Registry, kinds: readonly string[], online: (kind: string) => Promise<number>): void {
  new Gauge({
    name: 'scaiwave_nodes_online',
    help: 'ScaiInfer nodes with a live heartbeat, by engine kind',
    labelNames: ['engine_kind'],
    registers: [registry],
    async collect() {
      const counts = await Promise.all(kinds.map(online));
      kinds.forEach((kind, i) => this.set({ engine_kind: kind }, counts[i] ?? 0));
    },
  });
}
