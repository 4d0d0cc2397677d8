import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { waitUntil } from '../devstack/ports.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { startScaiEchoStack, type ScaiEchoStack } from './support/scaiecho.js';
import { padTo, speak } from './support/speech.js';
import { call, newTenant, testConfig, testDb, uniq } from './support/stack.js';

// The MCP tools as an MCP client sees them: the SDK's own Client over its
// Streamable HTTP transport, against the API, a worker and real engines.

const MCP_PATH = '/v1/modules/scaiecho/mcp';
const FOX = speak('the quick brown fox jumped over the lazy dog');
/** Past the async threshold this stack runs with, so it is queued whatever the caller asks. */
const LONG_FOX = padTo(FOX, 300_000);
const BASE64_CAP = 1_000_000;

interface Transcription {
  job_id: string;
  status: string;
  text: string | null;
  language: string | null;
  duration_ms: number | null;
  backend: 'A' | 'B' | null;
  status_reason: string | null;
}

/** Serves the files of one folder, as a site holding recordings would. */
function audioSite(dir: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const redirect = /^\/redirect\?to=(.*)$/.exec(req.url ?? '');
    if (redirect) return void res.writeHead(302, { location: decodeURIComponent(redirect[1]!) }).end();
    const file = path.join(dir, path.basename(req.url ?? ''));
    if (!fs.existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'audio/wav' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function connect(apiUrl: string, token?: string): Promise<Client> {
  const client = new Client({ name: 'scaiwave-mcp-test', version: '1.0.0' });
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(MCP_PATH, apiUrl), { requestInit: { headers } }));
  return client;
}

const structured = (r: CallToolResult): Transcription => r.structuredContent as unknown as Transcription;
const textOf = (r: CallToolResult): string => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

describe('MCP: scaiecho.transcribe and scaiecho.job_status over Streamable HTTP', () => {
  const db = testDb();
  let s: ScaiEchoStack;
  let site: http.Server;
  let siteOrigin: string;
  /** The same stack behind an API that refuses private addresses, as a deployment does by default. */
  let guarded: RunningApi;
  let t: Provisioned;
  let client: Client;

  beforeAll(async () => {
    site = await audioSite(path.dirname(FOX));
    siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    s = await startScaiEchoStack({
      env: {
        SCAIWAVE_SCAIECHO_ASYNC_AUDIO_THRESHOLD_BYTES: '200000',
        SCAIWAVE_MCP_MAX_BASE64_AUDIO_BYTES: String(BASE64_CAP),
        SCAIWAVE_MCP_URL_ALLOWLIST: siteOrigin,
        SCAIWAVE_MCP_URL_ALLOW_PRIVATE: 'true',
      },
    });
    const byName = siteOrigin.replace('127.0.0.1', 'localhost');
    guarded = await startApi(testConfig({ ...s.env, SCAIWAVE_MCP_URL_ALLOWLIST: `${siteOrigin},${byName}`, SCAIWAVE_MCP_URL_ALLOW_PRIVATE: 'false' }), { port: 0 });
    t = await newTenant(db);
    client = await connect(s.api.url, t.apiKey.key);
  });
  afterAll(async () => {
    await client?.close();
    await guarded?.close();
    await s?.stop();
    await new Promise((resolve) => site?.close(resolve));
    await db.$disconnect();
  });

  it('negotiates the current protocol version and lists both tools with their input and output schemas', async () => {
    expect(client.getServerVersion()?.name).toBe('scaiecho');
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    expect(Object.keys(byName).sort()).toEqual(['scaiecho.job_status', 'scaiecho.transcribe']);
    expect(Object.keys(byName['scaiecho.transcribe']!.inputSchema.properties!)).toEqual(
      expect.arrayContaining(['audio_base64', 'url', 'media_id', 'language', 'backend_preference', 'async']),
    );
    expect(byName['scaiecho.job_status']!.inputSchema.required).toEqual(['job_id']);
    for (const tool of tools) expect(Object.keys(tool.outputSchema!.properties!)).toEqual(expect.arrayContaining(['job_id', 'status', 'text', 'language', 'duration_ms', 'backend']));

    // The version the client negotiated is the SDK's newest: a raw initialize says which the server answered.
    const raw = await fetch(new URL(MCP_PATH, s.api.url), {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.apiKey.key}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
      }),
    });
    expect(raw.status).toBe(200);
    expect(((await raw.json()) as { result: { protocolVersion: string } }).result.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
  });

  it('transcribes base64 audio inline: the words as text, and the job structured', async () => {
    const result = (await client.callTool({
      name: 'scaiecho.transcribe',
      arguments: { audio_base64: fs.readFileSync(FOX).toString('base64'), language: 'en' },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toMatch(/quick brown fox/);
    const job = structured(result);
    expect(job).toMatchObject({ status: 'completed', backend: 'A' });
    expect(job.text).toMatch(/quick brown fox/);
    expect(job.duration_ms).toBeGreaterThan(1000);
    const row = await db.transcriptionJob.findUniqueOrThrow({ where: { id: job.job_id } });
    expect(row).toMatchObject({ tenantId: t.tenant.id, isAsync: false, status: 'completed' });
  });

  it('long audio is answered with a job id, polled with scaiecho.job_status until its transcript', async () => {
    const result = (await client.callTool({
      name: 'scaiecho.transcribe',
      arguments: { audio_base64: fs.readFileSync(LONG_FOX).toString('base64') },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const queued = structured(result);
    expect(queued.status).toBe('queued');
    expect(queued.text).toBeNull();
    expect(textOf(result)).toContain(`job_id "${queued.job_id}"`);

    let polled: Transcription = queued;
    for (let i = 0; i < 240 && polled.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const status = (await client.callTool({ name: 'scaiecho.job_status', arguments: { job_id: queued.job_id } })) as CallToolResult;
      expect(status.isError).toBeFalsy();
      polled = structured(status);
      expect(polled.status).not.toMatch(/failed|cancelled/);
    }
    expect(polled.job_id).toBe(queued.job_id);
    expect(polled.text).toMatch(/quick brown fox/);
  });

  it('async: true queues short audio too; a URL on the allow-list is fetched', async () => {
    const result = (await client.callTool({
      name: 'scaiecho.transcribe',
      arguments: { url: `${siteOrigin}/${path.basename(FOX)}`, async: true },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const job = structured(result);
    expect(job.status).toBe('queued');
    const row = await db.transcriptionJob.findUniqueOrThrow({ where: { id: job.job_id } });
    expect(row.audioBytes).toBe(BigInt(fs.statSync(FOX).size));
  });

  it("a file already uploaded to a room is transcribed by its media_id; another tenant's is not found", async () => {
    const admin = await newTenant(db, { roles: ['admin'] });
    const token = admin.apiKey.key;
    const ws = (await call<{ id: string }>(s.api.url, 'POST', '/v1/wave/workspaces', { token, json: { slug: uniq('ws'), name: 'Voice notes' } })).body.data!.id;
    const room = (await call<{ id: string }>(s.api.url, 'POST', `/v1/wave/workspaces/${ws}/rooms`, { token, json: { kind: 'channel', name: 'notes' } })).body.data!.id;
    const form = new FormData();
    form.append('file', new Blob([fs.readFileSync(FOX)]), 'voice-note.wav');
    const media = await call<{ id: string }>(s.api.url, 'POST', `/v1/wave/rooms/${room}/media`, { token, body: form });
    expect([201, 202], JSON.stringify(media.body)).toContain(media.status);
    const mediaId = media.body.data!.id;
    await waitUntil('media scanned', async () => (await db.waveMedia.findUniqueOrThrow({ where: { id: mediaId } })).scanStatus !== 'pending_scan', 120_000);

    const adminClient = await connect(s.api.url, token);
    try {
      const result = (await adminClient.callTool({ name: 'scaiecho.transcribe', arguments: { media_id: mediaId } })) as CallToolResult;
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(structured(result)).toMatchObject({ status: 'completed', text: expect.stringMatching(/quick brown fox/) });
    } finally {
      await adminClient.close();
    }
    const elsewhere = (await client.callTool({ name: 'scaiecho.transcribe', arguments: { media_id: mediaId } })) as CallToolResult;
    expect(elsewhere.isError).toBe(true);
    expect(textOf(elsewhere)).toBe('NOT_FOUND: media not found');
  });

  it('refuses, as tool errors with our codes: a URL off the allow-list, a private address, oversize base64, no audio or two', async () => {
    const refusal = async (c: Client, args: Record<string, unknown>): Promise<string> => {
      const result = (await c.callTool({ name: 'scaiecho.transcribe', arguments: args })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toBeUndefined();
      return textOf(result);
    };
    expect(await refusal(client, { url: 'https://elsewhere.example/fox.wav' })).toMatch(/^FORBIDDEN: url: https:\/\/elsewhere\.example is not on this deployment's allow-list/);
    expect(await refusal(client, { url: `${siteOrigin}/missing.wav` })).toMatch(/^UNPROCESSABLE_ENTITY: url: the server answered 404/);
    // A redirect is judged as the URL it leads to.
    const offList = `${siteOrigin}/redirect?to=${encodeURIComponent(`http://localhost:${new URL(siteOrigin).port}/${path.basename(FOX)}`)}`;
    expect(await refusal(client, { url: offList })).toMatch(/^FORBIDDEN: url: http:\/\/localhost:\d+ is not on this deployment's allow-list/);
    expect(await refusal(client, { audio_base64: Buffer.alloc(BASE64_CAP + 3).toString('base64') })).toMatch(/^PAYLOAD_TOO_LARGE: audio_base64 decodes to more than 1000000 bytes/);
    expect(await refusal(client, { audio_base64: 'not base64!' })).toMatch(/^VALIDATION_ERROR: audio_base64 is not base64/);
    expect(await refusal(client, {})).toMatch(/^VALIDATION_ERROR: give exactly one of audio_base64, url or media_id/);
    expect(await refusal(client, { url: `${siteOrigin}/x.wav`, audio_base64: 'AAAA' })).toMatch(/^VALIDATION_ERROR: give exactly one/);
    expect(await refusal(client, { audio_base64: fs.readFileSync(FOX).toString('base64'), language: 'not a language' })).toMatch(/language/);

    const guardedClient = await connect(guarded.url, t.apiKey.key);
    try {
      expect(await refusal(guardedClient, { url: `${siteOrigin}/${path.basename(FOX)}` })).toMatch(/^FORBIDDEN: url: 127\.0\.0\.1 resolves to a private or loopback address/);
      // A name is judged by what it resolves to, where the connection is made.
      expect(await refusal(guardedClient, { url: `${siteOrigin.replace('127.0.0.1', 'localhost')}/${path.basename(FOX)}` })).toMatch(
        /^FORBIDDEN: url: localhost resolves to a private or loopback address/,
      );
    } finally {
      await guardedClient.close();
    }
    // Nothing refused left a job behind.
    expect(await db.transcriptionJob.count({ where: { tenantId: t.tenant.id, isAsync: false, status: { not: 'completed' } } })).toBe(0);
  });

  it('no bearer or a bad one: 401 with a Bearer challenge before any MCP exchange', async () => {
    // The SDK's client reports the HTTP status (it would start OAuth here, given an auth provider).
    await expect(connect(s.api.url)).rejects.toMatchObject({ code: 401, message: expect.stringMatching(/UNAUTHORIZED/) });
    await expect(connect(s.api.url, 'sgk_not-a-key')).rejects.toMatchObject({ code: 401 });
    const bare = await call(s.api.url, 'POST', MCP_PATH, { json: { jsonrpc: '2.0', id: 1, method: 'tools/list' } });
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe('Bearer realm="scaiwave"');
    const bad = await call(s.api.url, 'POST', MCP_PATH, { token: 'sgk_not-a-key', json: { jsonrpc: '2.0', id: 1, method: 'tools/list' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="scaiwave", error="invalid_token"');
  });

  it('a body that is not an MCP message, or an unknown protocol version, is 400 in the envelope; JSON alone in Accept is enough', async () => {
    const post = (json: unknown, headers: Record<string, string> = {}) => call(s.api.url, 'POST', MCP_PATH, { token: t.apiKey.key, json, headers });
    const notRpc = await post({ jsonrpc: '2.0', hello: 'there' });
    expect(notRpc.status).toBe(400);
    expect(notRpc.body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(/Invalid JSON-RPC message/) });
    const list = { jsonrpc: '2.0', id: 7, method: 'tools/list' };
    const oldVersion = await post(list, { 'MCP-Protocol-Version': '1999-01-01' });
    expect(oldVersion.status).toBe(400);
    expect(oldVersion.body.error?.message).toMatch(/Unsupported protocol version: 1999-01-01/);
    const res = await fetch(new URL(MCP_PATH, s.api.url), {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.apiKey.key}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(list),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: number; result: { tools: unknown[] } }).result.tools).toHaveLength(2);
  });

  it("another tenant's job id is not found; GET and DELETE are 405 (no sessions)", async () => {
    const mine = structured(
      (await client.callTool({ name: 'scaiecho.transcribe', arguments: { audio_base64: fs.readFileSync(FOX).toString('base64') } })) as CallToolResult,
    );
    const other = await newTenant(db);
    const otherClient = await connect(s.api.url, other.apiKey.key);
    try {
      const result = (await otherClient.callTool({ name: 'scaiecho.job_status', arguments: { job_id: mine.job_id } })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe('NOT_FOUND: job not found');
      const own = (await client.callTool({ name: 'scaiecho.job_status', arguments: { job_id: mine.job_id } })) as CallToolResult;
      expect(structured(own)).toMatchObject({ job_id: mine.job_id, status: 'completed' });
    } finally {
      await otherClient.close();
    }
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await call(s.api.url, method, MCP_PATH, { token: t.apiKey.key });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toContain('POST');
    }
  });
});
