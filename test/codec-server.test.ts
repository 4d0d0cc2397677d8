import fs from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCodecServer, type CodecServer } from '../codec-server/server.js';
import { createPayloadSealing } from '../lib/codec/data-converter.js';
import { sealedFor } from '../lib/codec/data-subject.js';
import { destroySubjectKeys } from '../lib/codec/payload-keys.js';
import { createLogger } from '../lib/infra/logger.js';
import { newId } from '../lib/infra/ids.js';
import { createTemporalClient } from '../lib/temporal/client.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { payloadsJson, type JsonPayload } from '../codec-server/payloads-json.js';
import { newTenant, testConfig, testDb, uniq } from './support/stack.js';

// `scaiwave codec-server` as the Temporal UI and the temporal CLI call it: the
// remote codec protocol, opened only for platform operators, each decode
// audited; and the run's own Temporal UI in a headless Chromium showing a
// sealed workflow input decoded for a signed-in operator, ciphertext otherwise.

const db = testDb();
const base = testConfig();
let operators: Provisioned;
let member: Provisioned;
let server: CodecServer;
const sealing = createPayloadSealing(base);
const temporal = createTemporalClient(base);

beforeAll(async () => {
  operators = await newTenant(db, { roles: ['platform-operator'] });
  member = await newTenant(db, { roles: ['admin'] });
  const config = testConfig({ SCAIWAVE_PLATFORM_TENANT: operators.tenant.slug });
  server = await startCodecServer(config, createLogger('codec-server-test', 'warn'));
});
afterAll(async () => {
  await server?.close();
  await Promise.allSettled([sealing.close(), temporal.close()]);
});

const json = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const decodeCall = (payloads: Payload[], headers: Record<string, string> = {}) =>
  fetch(`${server.url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers }, body: JSON.stringify(payloadsJson(payloads)) });
const valueOf = (p: JsonPayload): unknown => defaultPayloadConverter.fromPayload({ metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])), data: Buffer.from(p.data ?? '', 'base64') });

describe('codec server: sealed payloads opened for operators only', () => {
  it('decodes for an operator (API key or session cookie), refuses anyone else, leaves shredded payloads sealed, audits each decode', async () => {
    const tenantId = newId();
    const userId = newId();
    const marker = uniq('codec');
    const [mine, shredded] = await sealing.codec.encode([json({ tenantId, note: marker }), json({ jobId: 'j', ...sealedFor(tenantId, { kind: 'user', id: userId }) })]);
    await destroySubjectKeys(db, { scope: 'user', id: userId });

    const anonymous = await decodeCall([mine!]);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    const notOperator = await decodeCall([mine!], { Authorization: `Bearer ${member.apiKey.key}` });
    expect(notOperator.status).toBe(403);

    const before = await db.payloadDecodeAudit.count({ where: { userId: operators.user.id } });
    const ok = await decodeCall([mine!, shredded!], { Authorization: `Bearer ${operators.apiKey.key}` });
    expect(ok.status).toBe(200);
    const out = ((await ok.json()) as { payloads: JsonPayload[] }).payloads;
    expect(valueOf(out[0]!)).toEqual({ tenantId, note: marker });
    expect(Buffer.from(out[1]!.metadata!.encoding!, 'base64').toString()).toBe('binary/encrypted');
    const audit = await db.payloadDecodeAudit.findMany({ where: { userId: operators.user.id }, orderBy: { id: 'desc' } });
    expect(audit).toHaveLength(before + 1);
    expect(audit[0]).toMatchObject({ tenantId: operators.tenant.id, via: 'api_key', namespace: 'default', payloads: 2, decoded: 1 });
    expect((audit[0]!.keyIds as string[]).sort()).toEqual(
      [mine, shredded].map((p) => Buffer.from(p!.metadata!['encryption-key-id']!).toString()).sort(),
    );

    // The browser's way: sign in once on the server's page, then the cookie does.
    const signIn = await fetch(`${server.url}/session`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ credential: operators.apiKey.key }) });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get('set-cookie')!;
    expect(cookie).toMatch(/scaiwave_codec_session=.*httponly/i);
    expect(cookie).not.toContain(operators.apiKey.key);
    const viaCookie = await decodeCall([mine!], { Cookie: cookie.split(';')[0]! });
    expect(viaCookie.status).toBe(200);
    const refused = await fetch(`${server.url}/session`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ credential: member.apiKey.key }) });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('set-cookie')).toBeNull();

    // Bad input is the caller's error, and nothing is audited for it.
    const audited = await db.payloadDecodeAudit.count();
    const bad = await fetch(`${server.url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${operators.apiKey.key}` }, body: JSON.stringify({ payloads: [{ data: '***' }] }) });
    expect(bad.status).toBe(400);
    expect(await db.payloadDecodeAudit.count()).toBe(audited);
  });

  it('answers the UI origin only, with credentials', async () => {
    const ui = base.env.SCAIWAVE_TEMPORAL_UI_URL;
    const preflight = (origin: string) =>
      fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' } });
    const allowed = await preflight(ui);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ui);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the Temporal UI shows a sealed input decoded for a signed-in operator, and ciphertext without a session', async () => {
    const marker = uniq('visible-only-to-operators');
    const workflowId = uniq('codec-ui');
    // No worker polls this queue: the started event, with its sealed input, is all the history holds.
    await temporal.client.workflow.start('codecUiProbe', { taskQueue: uniq('nobody'), workflowId, args: [{ tenantId: operators.tenant.id, note: marker }] });
    const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
    expect(JSON.stringify(history)).not.toContain(marker);
    // What Temporal stores, and the UI shows to anyone the codec server does not open it for.
    const ciphertext = Buffer.from(history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data!).toString('base64');

    const ui = base.env.SCAIWAVE_TEMPORAL_UI_URL;
    const shots = path.join(process.env.SCAIWAVE_TEST_LOG_DIR ?? '.', 'codec-ui');
    fs.mkdirSync(shots, { recursive: true });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const open = async (signedIn: boolean): Promise<string> => {
        const context = await browser.newContext({ viewport: { width: 1400, height: 1200 } });
        // The UI's own data encoder settings, as an operator sets them once in its dialog.
        await context.addInitScript((endpoint) => {
          localStorage.setItem('endpoint', JSON.stringify(endpoint));
          localStorage.setItem('includeCredentials', 'true');
          localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
        }, server.url);
        const page = await context.newPage();
        if (signedIn) {
          await page.goto(server.url);
          await page.locator('input[name=credential]').fill(operators.apiKey.key);
          await page.locator('button[type=submit]').click();
          await page.locator('#signed-in').waitFor();
        }
        await page.goto(`${ui}/namespaces/default/workflows/${workflowId}`);
        if (signedIn) await page.getByText(marker).first().waitFor({ timeout: 60_000 });
        else await page.getByText(ciphertext.slice(0, 48)).first().waitFor({ timeout: 60_000 });
        await page.screenshot({ path: path.join(shots, signedIn ? 'operator.png' : 'anonymous.png'), fullPage: true });
        const text = await page.locator('body').innerText();
        await context.close();
        return text;
      };
      const operatorSees = await open(true);
      expect(operatorSees).toContain(marker);
      expect(operatorSees).not.toContain(ciphertext.slice(0, 48));
      const anyoneSees = await open(false);
      expect(anyoneSees).not.toContain(marker);
      expect(anyoneSees).toContain(ciphertext.slice(0, 48));
    } finally {
      await browser.close();
    }
  }, 240_000);
});
