import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { call, newTenant, testConfig, testDb, uniq, type ApiAnswer } from './support/stack.js';

// Issue 19, part 3: every text input is text. Invalid UTF-8 (raw bytes, or
// percent-encoded in a path), unpaired surrogates and control characters are
// refused with a 400 naming the field, before anything is written; a reaction
// is one emoji or a short name between colons.

interface Message {
  id: string;
  body: string | null;
  reactions: { emoji: string; count: number }[];
}

describe('text inputs', () => {
  const db = testDb();
  let api: RunningApi;
  let t: Provisioned;
  let roomId: string;
  let workspaceId: string;

  const as = <T,>(method: string, path: string, opts: Parameters<typeof call>[3] = {}): Promise<ApiAnswer<T>> =>
    call<T>(api.url, method, `/v1/wave${path}`, { token: t.apiKey.key, ...opts });
  /** A JSON body sent as these exact bytes: fetch would otherwise re-encode a string as UTF-8. */
  const rawJson = (bytes: Buffer) => ({ body: new Uint8Array(bytes), headers: { 'Content-Type': 'application/json' } });
  const expectRefused = (res: ApiAnswer, field: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error?.code).toBe('VALIDATION_ERROR');
    expect(res.body.error?.message.startsWith(`${field}: `), res.body.error?.message).toBe(true);
  };
  const messages = async () => (await as<{ messages: Message[] }>('GET', `/rooms/${roomId}/messages`)).body.data!.messages;

  beforeAll(async () => {
    api = await startApi(testConfig(), { port: 0 });
    t = await newTenant(db, { roles: ['admin'] });
    workspaceId = (await as<{ id: string }>('POST', '/workspaces', { json: { slug: uniq('ws'), name: 'Text' } })).body.data!.id;
    roomId = (await as<{ id: string }>('POST', `/workspaces/${workspaceId}/rooms`, { json: { kind: 'channel', name: 'text' } })).body.data!.id;
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await db.$disconnect();
  });

  it('a message body of invalid UTF-8, an unpaired surrogate or a control character is refused, naming body; tabs and line breaks are kept', async () => {
    const before = await messages();
    const invalid = Buffer.concat([Buffer.from('{"body":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expectRefused(await as('POST', `/rooms/${roomId}/messages`, rawJson(invalid)), 'body');
    expectRefused(await as('POST', `/rooms/${roomId}/messages`, rawJson(Buffer.from('{"body":"half \\ud83d a face"}'))), 'body');
    expectRefused(await as('POST', `/rooms/${roomId}/messages`, { json: { body: 'ring \u0007 the bell' } }), 'body');
    expectRefused(await as('POST', `/rooms/${roomId}/messages`, { json: { body: 'escape \u001b[31m red' } }), 'body');
    expect(await messages()).toEqual(before);

    const kept = await as<Message>('POST', `/rooms/${roomId}/messages`, { json: { body: 'two\nlines\tand a tab 😀' } });
    expect(kept.status, JSON.stringify(kept.body)).toBe(201);
    expect(kept.body.data!.body).toBe('two\nlines\tand a tab 😀');
    expectRefused(await as('PATCH', `/rooms/${roomId}/messages/${kept.body.data!.id}`, { json: { body: 'null \u0000 byte' } }), 'body');
  });

  it("a reaction is one emoji or a :short_name:; '%ff', a word or two emoji are refused, naming emoji, and nothing is stored", async () => {
    const m = (await as<Message>('POST', `/rooms/${roomId}/messages`, { json: { body: 'react to me' } })).body.data!;
    const react = (emoji: string) => as<Message>('PUT', `/rooms/${roomId}/messages/${m.id}/reactions/${emoji}`);
    expectRefused(await react('%ff'), 'emoji');
    expectRefused(await react('%ed%a0%80'), 'emoji');
    for (const notOne of ['ff', 'thumbsup', '%25ff', encodeURIComponent('👍👍'), encodeURIComponent(':Thumbs Up:'), '1']) {
      expectRefused(await react(notOne), 'emoji');
    }
    expect((await messages()).find((x) => x.id === m.id)!.reactions).toEqual([]);

    for (const emoji of ['👍', '👍🏽', '👨‍👩‍👧', '🇳🇱', '❤', '❤️', '1️⃣', ':thumbsup:', ':+1:']) {
      const res = await react(encodeURIComponent(emoji));
      expect(res.status, `${emoji}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    expect((await messages()).find((x) => x.id === m.id)!.reactions.map((r) => r.emoji)).toContain('👨‍👩‍👧');
  });

  it('room and workspace names and topics refuse control characters and invalid UTF-8, naming the field, and create nothing', async () => {
    const rooms = async () => db.waveRoom.count({ where: { workspaceId } });
    const count = await rooms();
    expectRefused(await as('POST', `/workspaces/${workspaceId}/rooms`, { json: { kind: 'channel', name: 'line\nbreak' } }), 'name');
    expectRefused(await as('POST', `/workspaces/${workspaceId}/rooms`, { json: { kind: 'channel', name: 'ok', topic: 'bell \u0007' } }), 'topic');
    const invalid = Buffer.concat([Buffer.from('{"kind":"channel","name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    expectRefused(await as('POST', `/workspaces/${workspaceId}/rooms`, rawJson(invalid)), 'name');
    expect(await rooms()).toBe(count);
    expectRefused(await as('POST', '/workspaces', { json: { slug: uniq('ws'), name: 'tab\tname' } }), 'name');
    const named = await as<{ name: string }>('POST', `/workspaces/${workspaceId}/rooms`, { json: { kind: 'channel', name: 'Café – Ωmega 日本' } });
    expect(named.status).toBe(201);
    expect(named.body.data!.name).toBe('Café – Ωmega 日本');
  });

  it('a search query that is not text is refused, naming q', async () => {
    expectRefused(await as('GET', '/search?q=%ff'), 'q');
    expectRefused(await as('GET', `/search?q=${encodeURIComponent('bell \u0007')}`), 'q');
  });

  it('an API key name is held to the same rule, and no key is made', async () => {
    const keys = () => db.apiKey.count({ where: { tenantId: t.tenant.id } });
    const count = await keys();
    expectRefused(await call(api.url, 'POST', '/v1/api-keys', { token: t.apiKey.key, json: { name: 'ci\u0000' } }), 'name');
    expectRefused(await call(api.url, 'POST', '/v1/api-keys', { token: t.apiKey.key, ...rawJson(Buffer.from('{"name":"\\udfff"}')) }), 'name');
    expect(await keys()).toBe(count);
  });

  it('a file whose name is invalid UTF-8 or hides its extension behind a bidirectional override is refused, naming file, and nothing is stored', async () => {
    const stored = () => db.waveMedia.count({ where: { roomId } });
    const count = await stored();
    const upload = (filename: Buffer) => {
      const boundary = `----scaiwave${uniq('b')}`;
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="`),
        filename,
        Buffer.from(`"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${boundary}--\r\n`),
      ]);
      return as('POST', `/rooms/${roomId}/media`, { body: new Uint8Array(body), headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } });
    };
    expectRefused(await upload(Buffer.concat([Buffer.from('report'), Buffer.from([0xff]), Buffer.from('.txt')])), 'file');
    expectRefused(await upload(Buffer.from('invoice\u202Etxt.exe', 'utf8')), 'file');
    // A C0 control in a part header is a malformed header (busboy refuses it before us); a C1 one reaches the name check.
    expectRefused(await upload(Buffer.from('csi\u009b31m.txt', 'utf8')), 'file');
    expect(await stored()).toBe(count);
    const ok = await upload(Buffer.from('résumé.txt', 'utf8'));
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    expect(await stored()).toBe(count + 1);
  });
});
