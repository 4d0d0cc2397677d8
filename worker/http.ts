import http from 'node:http';
import type { Worker } from '@temporalio/worker';
import type { Registry } from 'prom-client';
import type { Logger } from '../lib/infra/logger.js';

/**
 * /health is 200 while the worker polls; /metrics serves this process's metrics
 * followed by the Temporal SDK's own (its Prometheus exporter listens on a
 * loopback address of its own), so one scrape target covers both.
 */
export function startWorkerHttp(opts: {
  /** SCAIWAVE_HOST: loopback unless the deployment opens it up. */
  host: string;
  port: number;
  worker: Worker;
  registry: Registry;
  sdkMetricsAddress: string;
  logger: Logger;
}): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.url === '/health') {
        const state = opts.worker.getState();
        const up = state === 'RUNNING';
        res.writeHead(up ? 200 : 503, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ success: up, data: { state } }));
      } else if (req.url === '/metrics') {
        const own = await opts.registry.metrics();
        const sdk = await fetch(`http://${opts.sdkMetricsAddress}/metrics`, { signal: AbortSignal.timeout(2000) })
          .then((r) => r.text())
          .catch((err: unknown) => {
            opts.logger.warn({ err: (err as Error).message }, 'SDK metrics unavailable');
            return '';
          });
        res.writeHead(200, { 'Content-Type': opts.registry.contentType });
        res.end(`${own}\n${sdk}`);
      } else {
        res.writeHead(404).end();
      }
    })();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}
