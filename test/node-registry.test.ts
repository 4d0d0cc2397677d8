import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from '../lib/infra/redis.js';
import { ENGINE_DIARIZE, ENGINE_STT, NodeRegistry } from '../lib/scaiinfer/node-registry.js';
import { testConfig, uniq } from './support/stack.js';

describe('node registry', () => {
  const redis = createRedis(testConfig({ SCAIWAVE_REDIS_PREFIX: `${process.env.SCAIWAVE_REDIS_PREFIX}${uniq('reg')}:` }));
  afterAll(() => redis.quit());
  let now = 1_000_000;
  const registry = new NodeRegistry(redis, 10, () => now);
  const hb = (nodeId: string, kinds = [ENGINE_STT]) =>
    registry.heartbeat({ nodeId, address: `127.0.0.1:${5000 + nodeId.length}`, engineKinds: kinds, capacity: 2, version: 't' });

  it('knows a node online until its heartbeat is older than the TTL, then skips it', async () => {
    await hb('stt-1');
    await hb('stt-2');
    await hb('diar-1', [ENGINE_DIARIZE]);
    expect((await registry.online(ENGINE_STT)).map((n) => n.nodeId).sort()).toEqual(['stt-1', 'stt-2']);
    now += 6_000;
    await hb('stt-2');
    now += 6_000;
    expect((await registry.online(ENGINE_STT)).map((n) => n.nodeId)).toEqual(['stt-2']);
    for (let i = 0; i < 20; i++) expect((await registry.resolve(ENGINE_STT))?.nodeId).toBe('stt-2');
    expect(await registry.resolve(ENGINE_STT, ['stt-2'])).toBeUndefined();
  });

  it('finds an online node by id; a node an operator removed is gone and may not heartbeat back', async () => {
    await hb('diar-2', [ENGINE_DIARIZE]);
    expect((await registry.find('diar-2'))?.engineKinds).toEqual([ENGINE_DIARIZE]);
    expect(await registry.removedAt('diar-2')).toBeUndefined();
    await registry.remove('diar-2');
    expect(await registry.find('diar-2')).toBeUndefined();
    expect(await registry.removedAt('diar-2')).toEqual(new Date(now));
    expect(await hb('diar-2', [ENGINE_DIARIZE])).toBe('removed');
    expect((await registry.online(ENGINE_DIARIZE)).map((n) => n.nodeId)).not.toContain('diar-2');
    now += 11_000;
    expect(await registry.find('diar-1')).toBeUndefined();
  });

  it('forgets a node that deregisters at once', async () => {
    await hb('stt-3');
    await registry.deregister('stt-3');
    expect((await registry.online(ENGINE_STT)).map((n) => n.nodeId)).not.toContain('stt-3');
  });
});
