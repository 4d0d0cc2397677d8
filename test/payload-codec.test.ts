import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import { createPayloadSealing } from '../lib/codec/data-converter.js';
import { sealedFor } from '../lib/codec/data-subject.js';
import { KEY_ID_METADATA, PayloadKeyDestroyedError, SEALED_ENCODING } from '../lib/codec/payload-codec.js';
import { destroySubjectKeys } from '../lib/codec/payload-keys.js';
import { newId } from '../lib/infra/ids.js';
import { runScaiwave } from './support/cli.js';
import { newTenant, testConfig, testDb } from './support/stack.js';

// The payload codec on the run's MariaDB: what Temporal would store, and what
// opens it again, as a client or worker of this deployment sees it.

const config = testConfig();
const db = testDb();
const sealings: { close(): Promise<void> }[] = [];
const sealing = (overrides: Record<string, string> = {}) => {
  const s = createPayloadSealing(testConfig(overrides));
  sealings.push(s);
  return s;
};
afterAll(async () => {
  await Promise.all(sealings.map((s) => s.close()));
});

const payloadOf = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString();
const keyIdOf = (p: Payload) => text(p.metadata?.[KEY_ID_METADATA]);

describe('payload codec: AES-256-GCM under keys per tenant and per data subject', () => {
  it('seals a payload whole (its encoding too) and opens it again; the bytes stored hold nothing of it', async () => {
    const { codec } = sealing();
    const tenantId = newId();
    const plain = payloadOf({ jobId: 'job-1', tenantId, note: 'the quick brown fox' });
    const [sealed] = await codec.encode([plain]);
    expect(text(sealed!.metadata?.encoding)).toBe(SEALED_ENCODING);
    expect(Object.keys(sealed!.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
    expect(Buffer.from(sealed!.data!).includes(Buffer.from('quick brown'))).toBe(false);
    expect(Buffer.from(sealed!.data!).includes(Buffer.from('json/plain'))).toBe(false);
    const [opened] = await codec.decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual({ jobId: 'job-1', tenantId, note: 'the quick brown fox' });
  });

  it('picks the key by what the payload names: the subject, else the tenant, else the deployment', async () => {
    const { codec } = sealing();
    const tenantId = newId();
    const userId = newId();
    const [bySubject, bySubjectAgain, byTenant, byNothing] = await codec.encode([
      payloadOf({ jobId: 'a', ...sealedFor(tenantId, { kind: 'user', id: userId }) }),
      payloadOf({ jobId: 'b', ...sealedFor(tenantId, { kind: 'user', id: userId }) }),
      payloadOf({ mediaId: 'c', tenantId }),
      payloadOf(['no', 'scope']),
    ]);
    const scopes = await db.payloadKey.findMany({ where: { id: { in: [bySubject, byTenant, byNothing].map((p) => keyIdOf(p!)) } } });
    const scopeOf = (p: Payload | undefined) => scopes.find((k) => k.id === keyIdOf(p!));
    expect(scopeOf(bySubject)).toMatchObject({ scope: 'user', scopeId: userId, version: 1 });
    expect(keyIdOf(bySubjectAgain!)).toBe(keyIdOf(bySubject!));
    expect(scopeOf(byTenant)).toMatchObject({ scope: 'tenant', scopeId: tenantId });
    expect(scopeOf(byNothing)).toMatchObject({ scope: 'deployment', scopeId: '' });
    // Wrapped: the stored key is not the key.
    expect(scopeOf(bySubject)!.wrappedKey!.length).toBeGreaterThan(32);
  });

  it('rotation: new payloads take the newest key, old ones still open; another process agrees', async () => {
    const a = sealing();
    const tenantId = newId();
    const [old] = await a.codec.encode([payloadOf({ tenantId, n: 1 })]);
    const fresh = await a.keys.rotate({ scope: 'tenant', id: tenantId });
    const [next] = await a.codec.encode([payloadOf({ tenantId, n: 2 })]);
    expect(keyIdOf(next!)).toBe(fresh);
    expect(keyIdOf(old!)).not.toBe(fresh);
    const b = sealing();
    expect((await b.codec.decode([old!, next!])).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      { tenantId, n: 1 },
      { tenantId, n: 2 },
    ]);
  });

  it('`scaiwave codec rotate --tenant`: the tenant\'s next payloads take a new key', async () => {
    const t = await newTenant(db);
    const { codec } = sealing();
    const [before] = await codec.encode([payloadOf({ tenantId: t.tenant.id })]);
    const out = await runScaiwave(['codec', 'rotate', '--tenant', t.tenant.slug]);
    expect(out.code, out.stderr).toBe(0);
    const keyId = /new payload key (\S+)/.exec(out.stdout)![1]!;
    expect(await db.payloadKey.findUniqueOrThrow({ where: { id: keyId } })).toMatchObject({ scope: 'tenant', scopeId: t.tenant.id, version: 2 });
    expect(keyId).not.toBe(keyIdOf(before!));
    expect((await runScaiwave(['codec', 'rotate', '--tenant', 'no-such-tenant'])).code).toBe(3);
  });

  it('a master key rotated in: keys wrapped by the old one open while it is listed, and not once it is dropped', async () => {
    const oldMaster = config.env.SCAIWAVE_CODEC_MASTER_KEYS!;
    const tenantId = newId();
    const [sealed] = await sealing().codec.encode([payloadOf({ tenantId })]);
    const newMaster = `rotated-${newId().slice(0, 8)}:${randomBytes(32).toString('base64')}`;
    const both = sealing({ SCAIWAVE_CODEC_MASTER_KEYS: `${newMaster},${oldMaster}` });
    expect(defaultPayloadConverter.fromPayload((await both.codec.decode([sealed!]))[0]!)).toEqual({ tenantId });
    const [underNew] = await both.codec.encode([payloadOf({ tenantId: newId() })]);
    expect((await db.payloadKey.findUniqueOrThrow({ where: { id: keyIdOf(underNew!) } })).masterKeyId).toBe(newMaster.split(':')[0]);
    const onlyNew = sealing({ SCAIWAVE_CODEC_MASTER_KEYS: newMaster });
    await expect(onlyNew.codec.decode([sealed!])).rejects.toThrow(/no longer lists/);
  });

  it('a tampered payload, or one moved to another key id, does not open', async () => {
    const { codec } = sealing();
    const [a, b] = await codec.encode([payloadOf({ tenantId: newId() }), payloadOf({ tenantId: newId() })]);
    const flipped = Buffer.from(a!.data!);
    flipped[flipped.length - 20]! ^= 1;
    await expect(codec.decode([{ ...a!, data: flipped }])).rejects.toThrow();
    await expect(codec.decode([{ ...a!, metadata: { ...a!.metadata, [KEY_ID_METADATA]: b!.metadata![KEY_ID_METADATA]! } }])).rejects.toThrow();
  });

  it('payloads written before the codec pass through unchanged', async () => {
    const { codec } = sealing();
    const old = payloadOf({ jobId: 'from-before' });
    expect(await codec.decode([old])).toEqual([old]);
  });

  it("destroying a subject's keys: its payloads never open again, in any process; the tenant's still do", async () => {
    const { codec } = sealing();
    const tenantId = newId();
    const speakerId = newId();
    const [voice, tenants] = await codec.encode([payloadOf({ speakerId, ...sealedFor(tenantId, { kind: 'speaker', id: speakerId }) }), payloadOf({ tenantId })]);
    const destroyed = await destroySubjectKeys(db, { scope: 'speaker', id: speakerId });
    expect(destroyed).toEqual([keyIdOf(voice!)]);
    expect(await destroySubjectKeys(db, { scope: 'speaker', id: speakerId })).toEqual([]);
    const later = sealing();
    await expect(later.codec.decode([voice!])).rejects.toBeInstanceOf(PayloadKeyDestroyedError);
    expect(defaultPayloadConverter.fromPayload((await later.codec.decode([tenants!]))[0]!)).toEqual({ tenantId });
    // The row stays as the record; the database refuses to bring the key back or delete the row.
    await expect(db.$executeRawUnsafe('UPDATE payload_keys SET wrapped_key = ?, destroyed_at = NULL WHERE id = ?', randomBytes(60), destroyed[0])).rejects.toThrow(/once/);
    await expect(db.$executeRawUnsafe('DELETE FROM payload_keys WHERE id = ?', destroyed[0])).rejects.toThrow(/never deleted/);
  });
});
