import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/server.js';
import { EXIT } from '../cli/support.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { runScaiwave } from './support/cli.js';
import { call, newTenant, testConfig, testDb, uniq } from './support/stack.js';

// The operators' view of ScaiWave: `scaiwave workspace …` and `scaiwave room …`,
// against rooms made through the API. Metadata and members, never message text.

interface RoomRow {
  id: string;
  workspace: string;
  name: string | null;
  members: number;
  messages: number;
}

describe('scaiwave workspace and room commands', () => {
  const db = testDb();
  let api: RunningApi;
  let t: Provisioned;
  const slug = uniq('eng');

  beforeAll(async () => {
    api = await startApi(testConfig(), { port: 0 });
    t = await newTenant(db, { roles: ['admin'] });
  });
  afterAll(async () => {
    await api?.close();
    await db.$disconnect();
  });

  it('creates a workspace, refuses the same slug twice, and lists it', async () => {
    const created = await runScaiwave(['workspace', 'create', slug, '--tenant', t.tenant.slug, '--name', 'Engineering', '--json']);
    expect(created.code, created.stderr).toBe(EXIT.ok);
    expect(JSON.parse(created.stdout)).toMatchObject({ slug, name: 'Engineering' });
    const again = await runScaiwave(['workspace', 'create', slug, '--tenant', t.tenant.slug, '--name', 'Again']);
    expect(again.code).toBe(EXIT.conflict);
    const listed = await runScaiwave(['workspace', 'list', '--tenant', t.tenant.slug, '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ slug, rooms: 0 })]);
  });

  it('lists rooms, private ones too, and shows one with its members, without message text', async () => {
    const ws = (await call<{ id: string; slug: string }[]>(api.url, 'GET', '/v1/wave/workspaces', { token: t.apiKey.key })).body.data!.find((w) => w.slug === slug)!;
    const room = (await call<{ id: string }>(api.url, 'POST', `/v1/wave/workspaces/${ws.id}/rooms`, { token: t.apiKey.key, json: { kind: 'group', name: 'board' } })).body.data!;
    await call(api.url, 'POST', `/v1/wave/rooms/${room.id}/messages`, { token: t.apiKey.key, json: { body: 'quarterly numbers' } });

    const listed = await runScaiwave(['room', 'list', '--tenant', t.tenant.slug, '--workspace', slug, '--json']);
    expect(listed.code, listed.stderr).toBe(EXIT.ok);
    expect(JSON.parse(listed.stdout) as RoomRow[]).toEqual([expect.objectContaining({ id: room.id, workspace: slug, name: 'board', members: 1, messages: 1 })]);

    const shown = await runScaiwave(['room', 'show', room.id]);
    expect(shown.code, shown.stderr).toBe(EXIT.ok);
    expect(shown.stdout).toContain(t.user.scaikeySubject);
    expect(shown.stdout).toContain('owner');
    expect(shown.stdout).not.toContain('quarterly');
  });

  it('unknown tenants and rooms are "not found"; a bad slug is a usage error before any I/O', async () => {
    expect((await runScaiwave(['room', 'list', '--tenant', 'no-such-tenant'])).code).toBe(EXIT.notFound);
    expect((await runScaiwave(['room', 'show', 'no-such-room'])).code).toBe(EXIT.notFound);
    expect((await runScaiwave(['workspace', 'create', 'Not A Slug', '--tenant', t.tenant.slug, '--name', 'x'])).code).toBe(EXIT.usage);
  });
});
