import type Router from '@koa/router';
import { Validator } from '@seriousme/openapi-schema-validator';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { speak } from './support/speech.js';
import fs from 'node:fs';
import { call, newTenant, testConfig, testDb, uniq } from './support/stack.js';

interface Document {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; security?: Record<string, string[]>[]; requestBody?: { content: Record<string, { schema: Schema }> } }>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string; bearerFormat?: string }> };
}
interface Schema {
  properties?: Record<string, { type?: string; format?: string }>;
  required?: string[];
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace']);

/** `METHOD /path/{param}` for every route of every router mounted on the app (HEAD comes with GET). */
function servedRoutes(api: RunningApi): string[] {
  const routers = api.app.koa.middleware.map((mw) => (mw as { router?: Router }).router).filter((r) => r !== undefined);
  const routes = routers.flatMap((router) =>
    router.stack.flatMap((layer) =>
      layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${String(layer.path).replace(/:(\w+)/g, '{$1}')}`),
    ),
  );
  return [...new Set(routes)].sort();
}

const documentedRoutes = (doc: Document): string[] =>
  Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).filter((m) => METHODS.has(m)).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();

describe('the OpenAPI contract', () => {
  const db = testDb();
  let api: RunningApi;
  let admin: Provisioned;
  let doc: Document;

  beforeAll(async () => {
    // No worker polls this queue: nothing a refused request could have started would run.
    api = await startApi(testConfig({ SCAIWAVE_TEMPORAL_TASK_QUEUE: uniq('no-worker') }), { port: 0 });
    admin = await newTenant(db, { roles: ['admin'] });
    const res = await fetch(`${api.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as Document;
  });
  afterAll(async () => {
    await api.close();
    await db.$disconnect();
  });

  it('documents every route the routers serve, and no route they do not', () => {
    expect(servedRoutes(api)).toEqual(documentedRoutes(doc));
    expect(documentedRoutes(doc).length).toBeGreaterThan(25);
  });

  it('would notice a route registered behind the declarations', () => {
    const v1 = api.app.groups.find((g) => g.security === 'caller')!.router;
    v1.get('/v1/undeclared', (ctx) => void (ctx.body = 'hidden'));
    try {
      expect(servedRoutes(api)).not.toEqual(documentedRoutes(doc));
      expect(servedRoutes(api).filter((r) => !documentedRoutes(doc).includes(r))).toEqual(['GET /v1/undeclared']);
    } finally {
      v1.stack.pop();
    }
  });

  it('validates as an OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('names how each route authenticates: ScaiKey JWTs and sgk_ keys, the service token, or nothing', () => {
    const schemes = doc.components.securitySchemes;
    expect(schemes.scaikeyJwt).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(schemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.serviceToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/v1/me']!.get!.security).toEqual([{ scaikeyJwt: [] }, { apiKey: [] }]);
    expect(doc.paths['/v1/internal/nodes/heartbeat']!.post!.security).toEqual([{ serviceToken: [] }]);
    expect(doc.paths['/v1/admin/nodes']!.get!.security).toContainEqual({ serviceToken: [] });
    expect(doc.paths['/health']!.get!.security).toEqual([]);
  });

  it('describes the transcribe upload as multipart/form-data with a binary file', () => {
    const schema = doc.paths['/v1/modules/scaiecho/transcribe']!.post!.requestBody!.content['multipart/form-data']!.schema;
    expect(schema.properties!.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(schema.required).toContain('file');
    expect(Object.keys(schema.properties!)).toEqual(expect.arrayContaining(['language', 'backend_preference', 'force_async', 'temperature', 'speakers']));
  });

  it('renders /docs in a browser from this API alone, transcribe operation included', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const elsewhere: string[] = [];
      const problems: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(api.url) && !r.url().startsWith('data:')) elsewhere.push(r.url());
      });
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      const res = await page.goto(`${api.url}/docs`);
      expect(res?.status()).toBe(200);
      await page.getByText('/v1/modules/scaiecho/transcribe', { exact: true }).waitFor({ timeout: 60_000 });
      await expect(page.getByText('Transcribe an audio file').count()).resolves.toBeGreaterThan(0);
      expect(elsewhere).toEqual([]);
      // A Content-Security-Policy violation or a script error shows here.
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  describe('refuses a request the contract forbids before its handler runs', () => {
    it('a JSON body: a bad value and an unknown field are named, and no key is made', async () => {
      const before = await db.apiKey.count({ where: { tenantId: admin.tenant.id } });
      const res = await call(api.url, 'POST', '/v1/api-keys', { token: admin.apiKey.key, json: { name: 'ci', expires_at: 'tomorrow', colour: 'blue' } });
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('VALIDATION_ERROR');
      const fields = (res.body.error?.details as { fields: { field: string }[] }).fields.map((f) => f.field);
      expect(fields.sort()).toEqual(['colour', 'expires_at']);
      expect(await db.apiKey.count({ where: { tenantId: admin.tenant.id } })).toBe(before);
    });

    it('a query parameter out of range is named', async () => {
      const res = await call(api.url, 'GET', '/v1/modules/scaiecho/jobs?limit=0', { token: admin.apiKey.key });
      expect(res.status).toBe(400);
      expect(res.body.error?.message).toMatch(/^limit: /);
    });

    it('a policy outside the enum leaves the policy as it was', async () => {
      const before = await call(api.url, 'GET', '/v1/modules/scaiecho/admin/policy', { token: admin.apiKey.key });
      const res = await call(api.url, 'PUT', '/v1/modules/scaiecho/admin/policy', {
        token: admin.apiKey.key,
        json: { allowed_backends: 'C', default_backend: 'A' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error?.message).toMatch(/^allowed_backends: /);
      const after = await call(api.url, 'GET', '/v1/modules/scaiecho/admin/policy', { token: admin.apiKey.key });
      expect(after.body.data).toEqual(before.body.data);
    });

    it('a form field of the transcribe upload out of range, or unknown, is named and no job is written', async () => {
      const audio = new Blob([fs.readFileSync(speak('the contract comes first'))], { type: 'audio/wav' });
      for (const [field, value] of [
        ['temperature', '2'],
        ['colour', 'blue'],
      ] as const) {
        const form = new FormData();
        form.append('file', audio, 'hello.wav');
        form.append(field, value);
        const res = await call(api.url, 'POST', '/v1/modules/scaiecho/transcribe', { token: admin.apiKey.key, body: form });
        expect(res.status).toBe(400);
        expect(res.body.error?.code).toBe('VALIDATION_ERROR');
        expect(res.body.error?.message).toMatch(new RegExp(`^${field}: `));
      }
      expect(await db.transcriptionJob.count({ where: { tenantId: admin.tenant.id } })).toBe(0);
    });
  });
});
