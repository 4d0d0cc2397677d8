import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { checkTarget } from '../domains/webhooks/address-guard.js';
import { isPrivateAddress } from '../lib/http/public-address.js';
import { startWebhookDelivery } from '../domains/webhooks/client.js';
import { recordDeliveries } from '../domains/webhooks/deliveries.js';
import { waitUntil } from '../devstack/ports.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { captureHistory } from './support/histories.js';
import { startWorkerProcess, type WorkerProcess } from './support/processes.js';
import { startScaiEchoStack, transcribe, waitForJob, type ScaiEchoStack } from './support/scaiecho.js';
import { speak } from './support/speech.js';
import { createUser } from '../lib/tenancy/users.js';
import { call, newTenant, testConfig, testDb, uniq } from './support/stack.js';

// Signed webhooks end to end: a real receiver in this process, a real worker
// process reading the job events from JetStream, and the `standardwebhooks`
// package verifying every signature as a receiver's code would.

interface Received {
  headers: Record<string, string>;
  body: string;
}

/** An HTTP receiver answering each request with what `answer` says (200 unless told). */
async function startReceiver() {
  const got: Received[] = [];
  let answer: (n: number) => number = () => 200;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body: Buffer.concat(chunks).toString() });
      res.statusCode = answer(got.length);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    got,
    answerWith(f: (n: number) => number) {
      answer = f;
    },
    /** Distinct events received: a receiver drops repeats by webhook-id. */
    ids: () => [...new Set(got.map((g) => g.headers['webhook-id']))],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

interface Endpoint {
  id: string;
  secret: string;
  status: string;
  disabled_reason: string | null;
  disabled_at: string | null;
}
interface Delivery {
  id: string;
  status: string;
  event_type: string;
  replay_of: string | null;
  attempts: { attempt: number; status_code: number | null; latency_ms: number; error: string | null }[];
}

describe('signed webhooks delivered as workflows', () => {
  const db = testDb();
  const fox = speak('the quick brown fox jumped over the lazy dog', 'slt');
  let s: ScaiEchoStack;
  let worker: WorkerProcess;
  let receiver: Receiver;
  const env = {
    SCAIWAVE_WEBHOOKS_FEED: 'true',
    // The receivers listen on loopback.
    SCAIWAVE_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: 'true',
    SCAIWAVE_WEBHOOKS_RETRY_INITIAL_SECONDS: '1',
    SCAIWAVE_WEBHOOKS_RETRY_MAX_INTERVAL_SECONDS: '2',
  };

  beforeAll(async () => {
    s = await startScaiEchoStack({ env });
    worker = s.worker;
    receiver = await startReceiver();
  }, 300_000);
  afterAll(async () => {
    await receiver?.close();
    await s?.stop();
    await db.$disconnect();
  });

  // Each case has a tenant of its own, so no case's events reach another's endpoints.
  const newAdmin = (): Promise<Provisioned> => newTenant(db, { roles: ['admin'] });
  let admin: Provisioned;

  const register = async (url: string, who = admin, eventTypes = ['scaiecho.job.completed']): Promise<Endpoint> => {
    const res = await call<Endpoint>(s.api.url, 'POST', '/v1/webhooks', { token: who.apiKey.key, json: { url, event_types: eventTypes, description: 'test' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data!;
  };
  const deliveries = async (endpointId: string): Promise<Delivery[]> => {
    const res = await call<{ deliveries: Delivery[] }>(s.api.url, 'GET', `/v1/webhooks/${endpointId}/deliveries`, { token: admin.apiKey.key });
    expect(res.status).toBe(200);
    return res.body.data!.deliveries;
  };
  const settled = async (endpointId: string, count = 1): Promise<Delivery[]> => {
    let last: Delivery[] = [];
    await waitUntil(`deliveries of ${endpointId}`, async () => {
      last = await deliveries(endpointId);
      return last.length >= count && last.every((d) => d.status !== 'pending');
    }, 120_000);
    return last;
  };
  const endpoint = async (id: string): Promise<Endpoint> => (await call<Endpoint>(s.api.url, 'GET', `/v1/webhooks/${id}`, { token: admin.apiKey.key })).body.data!;
  const completeJob = async (who = admin): Promise<string> => {
    const res = await transcribe(s.api.url, who.apiKey.key, fox, { force_async: 'true' });
    expect(res.status).toBe(202);
    const job = await waitForJob(s.api.url, who.apiKey.key, res.body.data!.job_id);
    expect(job.status).toBe('completed');
    return job.job_id;
  };

  it('a job completing is delivered signed, once per endpoint: a receiver failing then recovering gets it, one answering 410 is disabled', async () => {
    admin = await newAdmin();
    const ok = await register(receiver.url);
    const flaky = await startReceiver();
    const gone = await startReceiver();
    try {
      flaky.answerWith((n) => (n <= 2 ? 503 : 204));
      gone.answerWith(() => 410);
      const flakyEndpoint = await register(flaky.url);
      const goneEndpoint = await register(gone.url);

      const jobId = await completeJob();
      const [delivered] = await settled(ok.id);
      expect(delivered).toMatchObject({ status: 'delivered', event_type: 'scaiecho.job.completed' });
      expect(delivered!.attempts).toMatchObject([{ attempt: 1, status_code: 200, error: null }]);

      // What the receiver got verifies with the endpoint's secret, and names the job only by id and URL.
      const got = receiver.got.find((g) => g.headers['webhook-id'] === delivered!.id)!;
      const payload = new Webhook(ok.secret).verify(got.body, got.headers) as { type: string; data: Record<string, unknown> };
      expect(payload).toMatchObject({
        type: 'scaiecho.job.completed',
        data: { job_id: jobId, status: 'completed', backend_used: 'A', job_url: `/v1/modules/scaiecho/jobs/${jobId}` },
      });
      expect(got.body).not.toMatch(/quick|brown|lazy/);
      expect(() => new Webhook(flakyEndpoint.secret).verify(got.body, got.headers)).toThrow();

      // Its own workflow, found in the Temporal UI by tenant and kind.
      const description = await s.api.deps.temporal.workflow.getHandle(workflowIds.webhookDelivery(delivered!.id)).describe();
      expect(description.status.name).toBe('COMPLETED');
      expect(description.searchAttributes).toMatchObject({ TenantId: [admin.tenant.id], JobKind: ['webhooks.delivery'], JobStatus: ['delivered'] });

      // Two 503s, then 204: three tries logged, the event received once (by id).
      const [recovered] = await settled(flakyEndpoint.id);
      expect(recovered!.status).toBe('delivered');
      expect(recovered!.attempts.map((a) => a.status_code)).toEqual([503, 503, 204]);
      expect(flaky.ids()).toEqual([recovered!.id]);
      await captureHistory('webhookDeliveryWorkflow--retried', s.api.deps.temporal.workflow.getHandle(workflowIds.webhookDelivery(recovered!.id)));

      // 410 Gone: one try, the endpoint disabled at once, and the admins told.
      const [refused] = await settled(goneEndpoint.id);
      expect(refused).toMatchObject({ status: 'failed', attempts: [{ attempt: 1, status_code: 410 }] });
      const disabled = await endpoint(goneEndpoint.id);
      expect(disabled).toMatchObject({ status: 'disabled', disabled_reason: 'the endpoint answered 410 Gone' });
      expect(disabled.disabled_at).not.toBeNull();
      const notices = await call<{ notifications: { endpoint_id: string; kind: string; message: string }[] }>(s.api.url, 'GET', '/v1/webhook-notifications', {
        token: admin.apiKey.key,
      });
      expect(notices.body.data!.notifications).toEqual([expect.objectContaining({ endpoint_id: goneEndpoint.id, kind: 'endpoint_disabled' })]);
      expect(gone.got).toHaveLength(1);
      await captureHistory('webhookDeliveryWorkflow--gone', s.api.deps.temporal.workflow.getHandle(workflowIds.webhookDelivery(refused!.id)));
    } finally {
      await flaky.close();
      await gone.close();
    }
  }, 300_000);

  it('a rotated secret: both the new and the previous one verify during the overlap; a replay is a new delivery', async () => {
    admin = await newAdmin();
    const e = await register(receiver.url);
    await completeJob();
    const [first] = await settled(e.id);
    expect(first!.status).toBe('delivered');

    const rotated = await call<Endpoint & { previous_secret_expires_at: string | null }>(s.api.url, 'POST', `/v1/webhooks/${e.id}/rotate-secret`, { token: admin.apiKey.key });
    expect(rotated.status).toBe(200);
    expect(rotated.body.data!.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(rotated.body.data!.secret).not.toBe(e.secret);
    expect(Date.parse(rotated.body.data!.previous_secret_expires_at!)).toBeGreaterThan(Date.now() + 23 * 3600_000);

    const replay = await call<Delivery>(s.api.url, 'POST', `/v1/webhooks/${e.id}/deliveries/${first!.id}/replay`, { token: admin.apiKey.key });
    expect(replay.status).toBe(202);
    expect(replay.body.data).toMatchObject({ replay_of: first!.id, status: 'pending' });
    expect(replay.body.data!.id).not.toBe(first!.id);
    await settled(e.id, 2);
    const got = receiver.got.find((g) => g.headers['webhook-id'] === replay.body.data!.id)!;
    expect(got.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [rotated.body.data!.secret, e.secret]) {
      expect(new Webhook(secret).verify(got.body, got.headers)).toMatchObject({ type: 'scaiecho.job.completed' });
    }
    // The secret is shown once: never again in a read, and sealed in MariaDB.
    expect(JSON.stringify(await endpoint(e.id))).not.toContain('whsec_');
    const row = await db.webhookEndpoint.findUniqueOrThrow({ where: { id: e.id } });
    expect(`${row.secretSealed} ${row.previousSecretSealed}`).not.toContain(rotated.body.data!.secret.slice(6, 20));
  }, 300_000);

  it('a worker SIGKILLed right after sending: the event arrives once (by webhook-id), one try logged', async () => {
    admin = await newAdmin();
    const crashed = await startReceiver();
    try {
      const e = await register(crashed.url);
      await worker.proc.stop(5000);
      const crasher = await startWorkerProcess({ ...s.env, CRASH_AT: 'tryWebhookDelivery:after' }, 'test/support/crash-worker.ts');
      const res = await transcribe(s.api.url, admin.apiKey.key, fox, { force_async: 'true' });
      expect(res.status).toBe(202);
      // The receiver has its answer; the worker dies before Temporal hears of it.
      expect(await crasher.proc.exited).toBe(128);
      expect(crashed.got).toHaveLength(1);

      worker = await s.startWorker();
      const [d] = await settled(e.id);
      expect(d).toMatchObject({ status: 'delivered', attempts: [{ attempt: 1, status_code: 200 }] });
      expect(crashed.ids()).toEqual([d!.id]);
      // The try ran again after the crash, under the same id: a receiver that drops repeats sees one event.
      expect(crashed.got.length).toBe(2);
      const handle = s.api.deps.temporal.workflow.getHandle(workflowIds.webhookDelivery(d!.id));
      expect(await handle.result()).toMatchObject({ status: 'delivered', attempts: 1 });
    } finally {
      await crashed.close();
    }
  }, 300_000);

  it('persistent failure: the retry window spent, the delivery fails and the endpoint is disabled, the admins told why', async () => {
    admin = await newAdmin();
    const failing = await startReceiver();
    try {
      failing.answerWith(() => 500);
      const e = await register(failing.url);
      const event = { id: `window-${e.id}`, type: 'scaiecho.job.completed' as const, tenantId: admin.tenant.id, occurredAt: new Date().toISOString(), data: {} };
      const [d] = await recordDeliveries(db, event, [e.id]);
      // A window of 3 s for this one delivery: the workflow carries its retry schedule from its start.
      await startWebhookDelivery({ temporal: s.api.deps.temporal, config: testConfig({ ...s.env, SCAIWAVE_WEBHOOKS_RETRY_WINDOW_SECONDS: '3' }) }, d!);
      const [failed] = await settled(e.id);
      expect(failed!.status).toBe('failed');
      expect(failed!.attempts.length).toBeGreaterThanOrEqual(2);
      expect(new Set(failed!.attempts.map((a) => a.status_code))).toEqual(new Set([500]));
      const disabled = await endpoint(e.id);
      expect(disabled.status).toBe('disabled');
      expect(disabled.disabled_reason).toMatch(/^a delivery failed every try for 3 s \(\d+ tries, the last: HTTP 500\)$/);
      const notices = await call<{ notifications: { endpoint_id: string; message: string }[] }>(s.api.url, 'GET', '/v1/webhook-notifications', { token: admin.apiKey.key });
      expect(notices.body.data!.notifications).toEqual([expect.objectContaining({ endpoint_id: e.id, message: expect.stringContaining(disabled.disabled_reason!) })]);
      // Disabled, it gets no more deliveries: the next job's event passes it by.
      await completeJob();
      await new Promise((r) => setTimeout(r, 3000));
      expect(await deliveries(e.id)).toHaveLength(1);
    } finally {
      await failing.close();
    }
  }, 300_000);

  it("a room export and a user's erasure completing are delivered, naming their ids and not the user", async () => {
    admin = await newAdmin();
    const e = await register(receiver.url, admin, ['wave.export.completed', 'wave.erasure.completed']);
    const wave = <T>(path: string, json: unknown) => call<T>(s.api.url, 'POST', `/v1/wave${path}`, { token: admin.apiKey.key, json });
    const workspace = (await wave<{ id: string }>('/workspaces', { slug: uniq('ws'), name: 'Hooks' })).body.data!;
    const room = (await wave<{ id: string }>(`/workspaces/${workspace.id}/rooms`, { kind: 'channel', name: 'hooked' })).body.data!;
    const exported = await wave<{ id: string }>(`/rooms/${room.id}/exports`, {});
    expect(exported.status, JSON.stringify(exported.body)).toBe(202);

    const leaver = await createUser(db, { tenantId: admin.tenant.id, subject: uniq('leaver'), email: `${uniq('leaver')}@example.test`, displayName: 'Leaver', roles: ['member'], source: 'scaikey' });
    const erased = await call<{ erasure_id: string }>(s.api.url, 'POST', '/v1/compliance/erasures', { token: admin.apiKey.key, json: { user_id: leaver.id } });
    expect(erased.status, JSON.stringify(erased.body)).toBe(202);

    const done = await settled(e.id, 2);
    const payloads = done.map((d) => {
      expect(d.status).toBe('delivered');
      const got = receiver.got.find((g) => g.headers['webhook-id'] === d.id)!;
      expect(got.body).not.toContain(leaver.id);
      return new Webhook(e.secret).verify(got.body, got.headers) as { type: string; data: Record<string, unknown> };
    });
    const exportId = exported.body.data!.id;
    const erasureId = erased.body.data!.erasure_id;
    expect(payloads.sort((a, b) => a.type.localeCompare(b.type))).toMatchObject([
      { type: 'wave.erasure.completed', data: { erasure_id: erasureId, status: 'completed', erasure_url: `/v1/compliance/erasures/${erasureId}` } },
      { type: 'wave.export.completed', data: { export_id: exportId, room_id: room.id, status: 'completed', export_url: `/v1/wave/exports/${exportId}` } },
    ]);
  }, 300_000);

  it('SSRF: private, loopback, link-local, multicast and unspecified addresses refused at registration and at delivery unless allowed', async () => {
    admin = await newAdmin();
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd00::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
    expect(await checkTarget('http://localhost:9/x', false)).toMatchObject({ ok: false, code: 'WEBHOOK_URL_FORBIDDEN' });

    const strictConfig = testConfig({ ...s.env, SCAIWAVE_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: 'false' });
    const strict: RunningApi = await startApi(strictConfig, { port: 0 });
    try {
      for (const url of [receiver.url, 'http://[::1]:8080/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/latest/meta-data', 'http://localhost/']) {
        const res = await call(strict.url, 'POST', '/v1/webhooks', { token: admin.apiKey.key, json: { url, event_types: ['scaiecho.job.completed'] } });
        expect(res.status, url).toBe(400);
        expect(res.body.error!.code, url).toBe('WEBHOOK_URL_FORBIDDEN');
      }
    } finally {
      await strict.close();
    }

    // Registered while allowed, then tried by a worker whose deployment does not allow it: refused after resolving, nothing sent.
    const e = await register(receiver.url);
    const before = receiver.got.length;
    await worker.proc.stop(5000);
    const strictWorker = await startWorkerProcess({ ...s.env, SCAIWAVE_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: 'false' });
    try {
      const event = { id: `ssrf-${e.id}`, type: 'scaiecho.job.completed' as const, tenantId: admin.tenant.id, occurredAt: new Date().toISOString(), data: {} };
      const [d] = await recordDeliveries(db, event, [e.id]);
      await startWebhookDelivery(s.api.deps, d!);
      await waitUntil('two refused tries', async () => ((await deliveries(e.id))[0]?.attempts.length ?? 0) >= 2, 60_000);
      const [refused] = await deliveries(e.id);
      for (const a of refused!.attempts) expect(a).toMatchObject({ status_code: null, error: expect.stringMatching(/^WEBHOOK_URL_FORBIDDEN: .*127\.0\.0\.1/) });
      expect(receiver.got.length).toBe(before);
      // Deleting the endpoint ends its deliveries at their next try.
      expect((await call(s.api.url, 'DELETE', `/v1/webhooks/${e.id}`, { token: admin.apiKey.key })).status).toBe(200);
      expect(await s.api.deps.temporal.workflow.getHandle(workflowIds.webhookDelivery(d!.id)).result()).toMatchObject({ status: 'abandoned' });
    } finally {
      await strictWorker.proc.stop(5000);
      worker = await s.startWorker();
    }
  }, 120_000);

  it('bad input is a 400 in the envelope; another tenant sees no endpoint; members may not manage them', async () => {
    admin = await newAdmin();
    const bad = [
      { url: 'ftp://example.com/x', event_types: ['scaiecho.job.completed'] },
      { url: 'not a url', event_types: ['scaiecho.job.completed'] },
      { url: 'http://user:pw@example.com/', event_types: ['scaiecho.job.completed'] },
    ];
    for (const json of bad) {
      const res = await call(s.api.url, 'POST', '/v1/webhooks', { token: admin.apiKey.key, json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.body).toMatchObject({ success: false, error: { code: 'WEBHOOK_URL_INVALID' } });
    }
    for (const json of [{ url: receiver.url, event_types: ['job.done'] }, { url: receiver.url, event_types: [] }, { url: receiver.url, event_types: ['scaiecho.job.failed'], secret: 'x' }]) {
      const res = await call(s.api.url, 'POST', '/v1/webhooks', { token: admin.apiKey.key, json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    }

    const e = await register(receiver.url, admin, ['scaiecho.job.failed', 'wave.export.completed']);
    const other = await newTenant(db, { roles: ['admin'] });
    for (const [method, path] of [
      ['GET', `/v1/webhooks/${e.id}`],
      ['PATCH', `/v1/webhooks/${e.id}`],
      ['DELETE', `/v1/webhooks/${e.id}`],
      ['POST', `/v1/webhooks/${e.id}/rotate-secret`],
      ['GET', `/v1/webhooks/${e.id}/deliveries`],
    ] as const) {
      const res = await call(s.api.url, method, path, { token: other.apiKey.key, ...(method === 'PATCH' ? { json: { description: 'x' } } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const theirs = await call<{ endpoints: Endpoint[] }>(s.api.url, 'GET', '/v1/webhooks', { token: other.apiKey.key });
    expect(theirs.body.data!.endpoints).toEqual([]);
    const member = await newTenant(db, { roles: ['member'] });
    expect((await call(s.api.url, 'GET', '/v1/webhooks', { token: member.apiKey.key })).status).toBe(403);

    // Off and back on by an admin; deleted, it is gone.
    const off = await call<Endpoint>(s.api.url, 'PATCH', `/v1/webhooks/${e.id}`, { token: admin.apiKey.key, json: { status: 'disabled' } });
    expect(off.body.data).toMatchObject({ status: 'disabled', disabled_reason: 'disabled by an admin' });
    const on = await call<Endpoint>(s.api.url, 'PATCH', `/v1/webhooks/${e.id}`, { token: admin.apiKey.key, json: { status: 'active' } });
    expect(on.body.data).toMatchObject({ status: 'active', disabled_reason: null, disabled_at: null });
    expect((await call(s.api.url, 'DELETE', `/v1/webhooks/${e.id}`, { token: admin.apiKey.key })).status).toBe(200);
    expect((await call(s.api.url, 'GET', `/v1/webhooks/${e.id}`, { token: admin.apiKey.key })).status).toBe(404);
  }, 120_000);
});
