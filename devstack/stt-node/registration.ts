import type { Logger } from '../../lib/infra/logger.js';

// How a ScaiInfer node stays in the platform's registry: a heartbeat every few
// seconds while it serves, a DELETE when it stops on purpose. A node that dies
// simply stops heartbeating and ages out, so failures here are logged, never fatal.

export interface RegistrationOptions {
  registryUrl: string;
  token: string;
  nodeId: string;
  /** host:port of the gRPC listener, as callers should dial it. */
  address: string;
  capacity: number;
  /** What the node serves; an STT node unless told otherwise. */
  engineKinds?: string[];
  intervalMs: number;
  logger: Logger;
}

export interface Registration {
  /** Heartbeat now and then every interval; a no-op while already running. */
  start(): void;
  stop(): void;
  /** Stop heartbeating and take the node out of the registry. */
  deregister(): Promise<void>;
}

export const NODE_VERSION = 'ref-1';

export function createRegistration(opts: RegistrationOptions): Registration {
  const base = opts.registryUrl.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' };
  const body = JSON.stringify({
    node_id: opts.nodeId,
    address: opts.address,
    engine_kinds: opts.engineKinds ?? ['stt'],
    capacity: opts.capacity,
    version: NODE_VERSION,
  });
  // A beat must not outlive its interval, or beats would pile up behind a stalled registry.
  const timeoutMs = Math.max(500, Math.min(opts.intervalMs, 5000));
  let timer: NodeJS.Timeout | undefined;
  let failing = false;

  const beat = async (): Promise<void> => {
    try {
      const res = await fetch(`${base}/v1/internal/nodes/heartbeat`, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`registry answered ${res.status}`);
      if (failing) opts.logger.info('heartbeats accepted again');
      failing = false;
    } catch (err) {
      // Once per outage at warn; every retry at debug, so a dead registry does not flood the log.
      opts.logger[failing ? 'debug' : 'warn']({ err: String(err) }, 'heartbeat failed; retrying');
      failing = true;
    }
  };

  const stop = (): void => {
    clearInterval(timer);
    timer = undefined;
  };

  return {
    start() {
      if (timer) return;
      void beat();
      timer = setInterval(() => void beat(), opts.intervalMs);
    },
    stop,
    async deregister() {
      stop();
      try {
        const res = await fetch(`${base}/v1/internal/nodes/${encodeURIComponent(opts.nodeId)}`, {
          method: 'DELETE',
          headers,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.body?.cancel();
        if (!res.ok && res.status !== 404) throw new Error(`registry answered ${res.status}`);
      } catch (err) {
        opts.logger.warn({ err: String(err) }, 'deregistration failed; the registry will age the node out');
      }
    },
  };
}
