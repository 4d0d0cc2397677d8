import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { freePort } from '../devstack/ports.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { call, newTenant, testConfig, testDb } from './support/stack.js';

const DEPENDENCIES = ['mariadb', 'redis', 'nats', 'temporal'] as const;
type Dependency = (typeof DEPENDENCIES)[number];

/** All a public probe learns of a dependency. */
interface CheckResult {
  ok: boolean;
}
interface Health {
  status: string;
  checks: Record<Dependency, CheckResult>;
}

/** The run's configuration with one dependency's address replaced by `hostPort`. */
function pointAt(dep: Dependency, hostPort: string): Record<string, string> {
  const db = testConfig().db;
  switch (dep) {
    case 'mariadb':
      return { SCAIWAVE_DB_URL: `mysql://${db.user}@${hostPort}/${db.database}` };
    case 'redis':
      return { SCAIWAVE_REDIS_URL: `redis://${hostPort}/0` };
    case 'nats':
      return { SCAIWAVE_NATS_URL: `nats://${hostPort}` };
    case 'temporal':
      return { SCAIWAVE_TEMPORAL_ADDRESS: hostPort };
  }
}

/** A port that accepts connections and then never says a word: a hung dependency. */
async function blackHole(): Promise<{ hostPort: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    hostPort: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Starts an API for one test and closes it afterwards, however the test ends. */
async function withApi<T>(overrides: Record<string, string>, fn: (api: RunningApi) => Promise<T>): Promise<T> {
  const api = await startApi(testConfig({ SCAIWAVE_SHUTDOWN_GRACE_MS: '1000', ...overrides }), { port: 0 });
  try {
    return await fn(api);
  } finally {
    await api.close();
  }
}

/** Each check is bounded inside the API, so this answers even when a dependency hangs (else the test times out). */
const health = (api: RunningApi) => call<Health>(api.url, 'GET', '/health');

describe('GET /health', () => {
  it('is 200 with every check ok when everything is up', async () => {
    await withApi({}, async (api) => {
      // NATS connects in the background after start; give it a moment.
      let res = await call<Health>(api.url, 'GET', '/health');
      for (let i = 0; i < 20 && res.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 250));
        res = await call<Health>(api.url, 'GET', '/health');
      }
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data?.status).toBe('ok');
      expect(Object.keys(res.body.data!.checks).sort()).toEqual([...DEPENDENCIES].sort());
      for (const dep of DEPENDENCIES) expect(res.body.data!.checks[dep]).toMatchObject({ ok: true });
      expect(res.headers.get('x-request-id')).toBeTruthy();
    });
  });

  for (const dep of DEPENDENCIES) {
    it(`is 503 SERVICE_UNAVAILABLE naming ${dep}, and only ${dep}, when ${dep} is at a closed port`, async () => {
      const port = await freePort();
      await withApi(pointAt(dep, `127.0.0.1:${port}`), async (api) => {
        // The others must be up for "only" to mean anything; NATS connects in the background.
        await new Promise((r) => setTimeout(r, dep === 'nats' ? 0 : 500));
        const res = await health(api);
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE' } });
        // Anyone may ask: the answer names the dependency and its status, never a driver's error text.
        expect(JSON.stringify(res.body)).not.toContain(String(port));
        expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|connect|refused/i);
        const message = res.body.error!.message;
        expect(message).toContain(dep);
        for (const other of DEPENDENCIES.filter((d) => d !== dep)) expect(message).not.toContain(other);
        const checks = (res.body.error!.details as { checks: Record<Dependency, CheckResult> }).checks;
        expect(checks[dep].ok).toBe(false);
        for (const other of DEPENDENCIES.filter((d) => d !== dep)) expect(checks[other].ok).toBe(true);
      });
    });
  }

  it('answers when every dependency hangs, naming them all; shutdown still ends', async () => {
    const holes = await Promise.all(DEPENDENCIES.map(() => blackHole()));
    try {
      const overrides = Object.assign({}, ...DEPENDENCIES.map((dep, i) => pointAt(dep, holes[i]!.hostPort))) as Record<string, string>;
      const api = await startApi(testConfig({ SCAIWAVE_SHUTDOWN_GRACE_MS: '1000', ...overrides }), { port: 0 });
      let closing: Promise<void> | undefined;
      try {
        const res = await health(api);
        expect(res.status).toBe(503);
        expect(res.body.error?.code).toBe('SERVICE_UNAVAILABLE');
        for (const dep of DEPENDENCIES) expect(res.body.error?.message).toContain(dep);
        const checks = (res.body.error!.details as { checks: Record<Dependency, CheckResult> }).checks;
        for (const dep of DEPENDENCIES) expect(checks[dep]).toEqual({ ok: false });

        // Closing must not wait forever on a dependency that never answers (else the test times out).
        closing = api.close();
        await closing;
      } finally {
        if (!closing) await api.close();
      }
    } finally {
      await Promise.all(holes.map((h) => h.close()));
    }
  });
});

/** A request on a given agent, bounded so a hang shows up as a failure, not a stuck suite. */
function request(
  agent: http.Agent,
  url: string,
  opts: { method?: string; token?: string; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; reusedSocket: boolean } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        agent,
        method: opts.method ?? 'GET',
        timeout: 5_000,
        headers: {
          ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
          ...(opts.body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(opts.body) } : {}),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, reusedSocket: req.reusedSocket }));
        res.on('error', (err) => resolve({ error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('TIMEOUT: no answer within 5 s')));
    req.on('error', (err) => resolve({ error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` }));
    req.end(opts.body);
  });
}

describe('draining', () => {
  const db = testDb();
  let t: Provisioned;

  beforeAll(async () => {
    t = await newTenant(db);
  });
  afterAll(async () => {
    await db.$disconnect();
  });

  it('lets an in-flight request finish, then refuses or closes the kept-alive connection; never hangs', async () => {
    const api = await startApi(testConfig({ SCAIWAVE_SHUTDOWN_GRACE_MS: '3000' }), { port: 0 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await request(agent, `${api.url}/v1/me`, { token: t.apiKey.key });
      expect(first).toMatchObject({ status: 200 });

      // An upload in flight when the drain begins: headers sent, body still coming.
      let closing: Promise<void> | undefined;
      const inflight = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(`${api.url}/v1/api-keys`, {
          agent,
          method: 'POST',
          headers: { Authorization: `Bearer ${t.apiKey.key}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
        });
        req.on('response', (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.write('{"name": ');
        setTimeout(() => {
          closing = api.close();
          setTimeout(() => req.end('"written during drain"}'), 300);
        }, 500);
      });

      const done = await inflight;
      expect(done.status).toBe(201);
      expect((JSON.parse(done.body) as { success: boolean }).success).toBe(true);

      // The next request on the same agent reuses the kept-alive socket if the server left it open.
      const started = Date.now();
      const next = await request(agent, `${api.url}/v1/me`, { token: t.apiKey.key });
      expect(Date.now() - started).toBeLessThan(3_000);
      if ('error' in next) {
        expect(next.error).not.toMatch(/TIMEOUT/);
        expect(next.error).toMatch(/ECONNRESET|ECONNREFUSED|EPIPE|socket hang up/);
      } else {
        expect(next.status).toBe(503);
        expect(JSON.parse(next.body)).toMatchObject({ success: false, error: { code: 'SERVICE_DRAINING' } });
        expect(next.headers.connection).toBe('close');
        expect(next.headers['retry-after']).toBe('1');
      }
      const closeStarted = Date.now();
      await closing;
      expect(Date.now() - closeStarted).toBeLessThan(4_000);
    } finally {
      agent.destroy();
      if (api.server.listening) await api.close();
    }
  });

  it('closes idle kept-alive connections when the drain begins: the next request fails fast, it does not hang', async () => {
    const api = await startApi(testConfig({ SCAIWAVE_SHUTDOWN_GRACE_MS: '3000' }), { port: 0 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await request(agent, `${api.url}/v1/me`, { token: t.apiKey.key });
      expect(first).toMatchObject({ status: 200 });
      expect(first).toMatchObject({ headers: { connection: 'keep-alive' } });

      const closing = api.close();
      const started = Date.now();
      const next = await request(agent, `${api.url}/v1/me`, { token: t.apiKey.key });
      expect(Date.now() - started).toBeLessThan(3_000);
      if ('error' in next) {
        expect(next.error).toMatch(/ECONNRESET|ECONNREFUSED|EPIPE|socket hang up/);
      } else {
        expect(next.status).toBe(503);
        expect(JSON.parse(next.body)).toMatchObject({ success: false, error: { code: 'SERVICE_DRAINING' } });
      }
      await closing;
    } finally {
      agent.destroy();
    }
  });
});
