import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { call, newTenant, testConfig, testDb, uniq } from './support/stack.js';

describe('node registration and tenant policy over HTTP', () => {
  const db = testDb();
  const token = testConfig().env.SCAIWAVE_SERVICE_TOKEN!;
  let api: RunningApi;
  let admin: Provisioned;
  let member: Provisioned;

  beforeAll(async () => {
    api = await startApi(testConfig(), { port: 0 });
    admin = await newTenant(db, { roles: ['admin'], tier: 'free' });
    member = await newTenant(db, { roles: ['member'] });
  });
  afterAll(async () => {
    await api.close();
    await db.$disconnect();
  });

  const heartbeat = (auth: string | undefined, body: unknown) =>
    call(api.url, 'POST', '/v1/internal/nodes/heartbeat', { json: body, headers: auth ? { Authorization: auth } : {} });

  it('registers a node that presents the service token; operators see it online; deregistered, it is gone', async () => {
    const nodeId = uniq('node');
    const operator = { headers: { Authorization: `Bearer ${token}` } };
    const res = await heartbeat(`Bearer ${token}`, { node_id: nodeId, address: '127.0.0.1:50051', engine_kinds: ['stt'], capacity: 2 });
    expect(res.status).toBe(200);
    const listed = await call<{ node_id: string; address: string }[]>(api.url, 'GET', '/v1/admin/nodes?engine_kind=stt', operator);
    expect(listed.body.data?.find((n) => n.node_id === nodeId)).toMatchObject({ address: '127.0.0.1:50051' });
    const gone = await call(api.url, 'DELETE', `/v1/internal/nodes/${nodeId}`, operator);
    expect(gone.status).toBe(200);
    const after = await call<{ node_id: string }[]>(api.url, 'GET', '/v1/admin/nodes', operator);
    expect(after.body.data?.map((n) => n.node_id)).not.toContain(nodeId);
  });

  it('refuses a heartbeat without the service token, or with a user key, and a malformed one', async () => {
    const body = { node_id: uniq('node'), address: '127.0.0.1:1', engine_kinds: ['stt'] };
    expect((await heartbeat(undefined, body)).status).toBe(401);
    expect((await heartbeat(`Bearer ${admin.apiKey.key}`, body)).status).toBe(401);
    const bad = await heartbeat(`Bearer ${token}`, { node_id: 'x', address: 'no-port', engine_kinds: [] });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toMatch(/address/);
    expect(bad.body.error?.message).toMatch(/engine_kinds/);
  });

  it('lets a compliance officer reach erasures but not transcription or enrollment', async () => {
    const officer = await newTenant(db, { roles: ['compliance'] });
    const erasure = await call(api.url, 'GET', `/v1/modules/scaiecho/erasures/${uniq('none')}`, { token: officer.apiKey.key });
    expect(erasure.status).toBe(404);
    const erase = await call(api.url, 'DELETE', `/v1/modules/scaiecho/speakers/${uniq('none')}`, { token: officer.apiKey.key });
    expect(erase.status).toBe(404);
    const transcribe = await call(api.url, 'GET', '/v1/modules/scaiecho/jobs', { token: officer.apiKey.key });
    expect(transcribe.status).toBe(403);
    expect(transcribe.body.error?.message).toMatch(/scaiecho:use/);
    const enroll = await call(api.url, 'GET', '/v1/modules/scaiecho/speakers', { token: officer.apiKey.key });
    expect(enroll.status).toBe(403);
  });

  it('lets a tenant admin read the tier default and change the policy; members may not', async () => {
    const path = '/v1/modules/scaiecho/admin/policy';
    const initial = await call(api.url, 'GET', path, { token: admin.apiKey.key });
    expect(initial.body.data).toEqual({ allowed_backends: 'B', default_backend: 'B' });
    const set = await call(api.url, 'PUT', path, { token: admin.apiKey.key, json: { allowed_backends: 'BA', default_backend: 'B' } });
    expect(set.status).toBe(200);
    expect((await db.scaiEchoTenantPolicy.findUniqueOrThrow({ where: { tenantId: admin.tenant.id } })).allowedBackends).toBe('BA');
    const inconsistent = await call(api.url, 'PUT', path, { token: admin.apiKey.key, json: { allowed_backends: 'B', default_backend: 'A' } });
    expect(inconsistent.status).toBe(400);
    const forbidden = await call(api.url, 'PUT', path, { token: member.apiKey.key, json: { allowed_backends: 'A', default_backend: 'A' } });
    expect(forbidden.status).toBe(403);
  });
});
