import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { call, newTenant, testConfig, testDb, uniq } from './support/stack.js';

/** The API's log as a sink would receive it: one JSON object per line. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'warn' }, sink), lines };
}

describe('access log', () => {
  const db = testDb();
  const captured = capturedLogger();
  let api: RunningApi;
  let member: Provisioned;

  beforeAll(async () => {
    api = await startApi(testConfig({ SCAIWAVE_ACCESS_LOG_LEVEL: 'info' }), { port: 0, logger: captured.logger });
    member = await newTenant(db);
  });
  afterAll(async () => {
    await api?.close();
    await db.$disconnect();
  });

  const accessLines = () => captured.lines.filter((l) => l.log === 'access');

  it('writes one line per request with the route template, status, time, request id and tenant, and nothing the caller sent', async () => {
    const jobId = uniq('job');
    const requestId = uniq('req-trace');
    const res = await call(api.url, 'GET', `/v1/modules/scaiecho/jobs/${jobId}?token=secret-in-query`, {
      token: member.apiKey.key,
      headers: { 'X-Request-Id': requestId },
    });
    expect(res.status).toBe(404);
    await call(api.url, 'POST', '/v1/api-keys', { token: member.apiKey.key, json: { name: 'personal-note-in-body' } });
    await call(api.url, 'GET', '/v1/me', { token: 'sgk_not-a-real-key-000000000000000000' });
    // Node heartbeats are routine: logged only when they fail.
    const serviceToken = testConfig().env.SCAIWAVE_SERVICE_TOKEN!;
    const heartbeat = { node_id: uniq('node'), address: '127.0.0.1:1', engine_kinds: ['stt'] };
    expect((await call(api.url, 'POST', '/v1/internal/nodes/heartbeat', { token: serviceToken, json: heartbeat })).status).toBe(200);
    expect((await call(api.url, 'POST', '/v1/internal/nodes/heartbeat', { token: 'wrong', json: heartbeat })).status).toBe(401);

    const lines = accessLines();
    const job = lines.find((l) => l.request_id === requestId);
    expect(job).toMatchObject({
      method: 'GET',
      route: '/v1/modules/scaiecho/jobs/:id',
      status: 404,
      tenant_id: member.tenant.id,
      msg: 'request',
    });
    expect(typeof job?.ms).toBe('number');
    expect(lines.filter((l) => l.request_id === requestId)).toHaveLength(1);
    expect(lines.find((l) => l.route === '/v1/api-keys')).toMatchObject({ method: 'POST', status: 201 });
    expect(lines.find((l) => l.route === '/v1/me')).toMatchObject({ status: 401, tenant_id: null });
    expect(lines.filter((l) => l.route === '/v1/internal/nodes/heartbeat').map((l) => l.status)).toEqual([401]);

    const all = JSON.stringify(lines);
    for (const leaked of [jobId, 'secret-in-query', member.apiKey.key, 'sgk_not-a-real-key', 'personal-note-in-body']) {
      expect(all).not.toContain(leaked);
    }
  });

  it('is silenced by SCAIWAVE_ACCESS_LOG_LEVEL=warn while other logging goes on', async () => {
    const quiet = capturedLogger();
    const other = await startApi(testConfig({ SCAIWAVE_ACCESS_LOG_LEVEL: 'warn' }), { port: 0, logger: quiet.logger });
    try {
      expect((await call(other.url, 'GET', '/v1/me', { token: member.apiKey.key })).status).toBe(200);
    } finally {
      await other.close();
    }
    expect(quiet.lines.filter((l) => l.log === 'access')).toEqual([]);
  });
});
