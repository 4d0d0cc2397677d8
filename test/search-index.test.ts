import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import weaviate from 'weaviate-client';
import { loadConfig } from '../lib/config.js';
import { LanceSearchIndex } from '../lib/search-index/lance-index.js';
import { openSearchIndex } from '../lib/search-index/open-index.js';
import { WeaviateSearchIndex } from '../lib/search-index/weaviate-index.js';
import type { SearchDocument } from '../lib/search-index/search-index.js';
import { CONTRACT_DIMENSION, searchIndexContract } from './support/search-index-contract.js';

// The contract runs against the embedded index always, and against a Weaviate
// server when SCAIWAVE_TEST_WEAVIATE_URL names one (none can run on this
// machine). Below it, what only the embedded index can show: its files.

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-search-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

searchIndexContract('embedded LanceDB', {
  open: () => LanceSearchIndex.open({ dir: path.join(work, 'contract'), dimension: CONTRACT_DIMENSION }),
});

const weaviateUrl = process.env.SCAIWAVE_TEST_WEAVIATE_URL;
if (weaviateUrl) {
  const grpcPort = Number(process.env.SCAIWAVE_TEST_WEAVIATE_GRPC_PORT ?? 50051);
  // A collection of the run's own: its vectors are 8 long, not the configured dimension.
  const collection = `ScaiwaveContract${randomUUID().replaceAll('-', '')}`;
  searchIndexContract(`Weaviate at ${weaviateUrl}`, {
    open: () => WeaviateSearchIndex.connect({ url: weaviateUrl, grpcPort, collection, dimension: CONTRACT_DIMENSION }),
  });
  afterAll(async () => {
    const url = new URL(weaviateUrl);
    const client = await weaviate.connectToCustom({ httpHost: url.hostname, httpPort: Number(url.port || 80), grpcHost: url.hostname, grpcPort });
    await client.collections.delete(collection);
    await client.close();
  });
}

describe('openSearchIndex', () => {
  it('opens the embedded index under SCAIWAVE_SEARCH_DIR when no Weaviate is configured', async () => {
    const dir = path.join(work, 'configured');
    const index = await openSearchIndex(loadConfig({ SCAIWAVE_SEARCH_DIR: dir, SCAIWAVE_SEARCH_VECTOR_DIMENSION: '8' }).env);
    expect(index).toBeInstanceOf(LanceSearchIndex);
    expect(index.dimension).toBe(8);
    await index.upsert([
      { messageId: 'm1', tenantId: 't1', workspaceId: 'w1', roomId: 'r1', authorId: 'a1', createdAt: new Date(0), updatedAt: new Date(0), body: 'hello', vector: new Float32Array([1, 0, 0, 0, 0, 0, 0, 0]) },
    ]);
    expect(fs.readdirSync(dir)).toEqual(['tenant_t1.lance']);
    await index.close();
  });

  it('uses the configured Weaviate and fails loudly when it cannot be reached, never falling back', async () => {
    const dir = path.join(work, 'not-used');
    const env = loadConfig({ SCAIWAVE_WEAVIATE_URL: 'http://127.0.0.1:9', SCAIWAVE_WEAVIATE_GRPC_PORT: '9', SCAIWAVE_SEARCH_DIR: dir }).env;
    await expect(openSearchIndex(env)).rejects.toThrow();
    expect(fs.existsSync(dir)).toBe(false);
  });
});

/** Every file under dir, with its bytes. */
function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const p = path.join(entry.parentPath, entry.name);
      out.set(p, fs.readFileSync(p));
    }
  }
  return out;
}

const holding = (dir: string, marker: string | Buffer) =>
  [...filesUnder(dir)].filter(([, bytes]) => bytes.includes(marker)).map(([p]) => path.relative(dir, p));

function unitOf(values: number[]): Float32Array {
  const n = Math.hypot(...values);
  return Float32Array.from(values, (x) => x / n);
}

describe('embedded index files', () => {
  const unit = (i: number) => {
    const v = new Float32Array(CONTRACT_DIMENSION);
    v[i % CONTRACT_DIMENSION] = 1;
    return v;
  };
  const docOf = (tenantId: string, body: string, i: number): SearchDocument => ({
    messageId: randomUUID(),
    tenantId,
    workspaceId: 'w1',
    roomId: 'room1',
    authorId: 'author1',
    createdAt: new Date(1_700_000_000_000 + i),
    updatedAt: new Date(1_700_000_000_000 + i),
    body,
    vector: unit(i),
  });

  it('removing a message leaves no trace of its text or vector, nor of text edited away, in any file of the index', async () => {
    const dir = path.join(work, 'erasure');
    // Fold every write into the indices, and index vectors from 100 rows on, so the markers reach index files too.
    const index = await LanceSearchIndex.open({ dir, dimension: CONTRACT_DIMENSION, foldIntoIndexAfter: 0, vectorIndexFromRows: 100 });
    const tenant = randomUUID();
    const erased = `erased${randomUUID().slice(0, 8)}`;
    const editedAway = `edited${randomUUID().slice(0, 8)}`;
    const editedAlone = `alone${randomUUID().slice(0, 8)}`;
    const neighbours = Array.from({ length: 200 }, (_, i) => docOf(tenant, `ordinary message number ${i}`, i));
    const markerVector = unitOf([0.1234567, -0.7654321, 0.0314159, 0.2718281, -0.1414213, 0.1732050, 0.2236067, -0.0577215]);
    const target = { ...docOf(tenant, `please forget ${erased} now`, 7), vector: markerVector };
    const edited = docOf(tenant, `my password is ${editedAway}`, 8);
    const alone = docOf(tenant, `my pin is ${editedAlone}`, 9);
    // The markers share fragments with rows that stay: a plain delete would leave them in those files.
    await index.upsert([...neighbours.slice(0, 100), target, edited, ...neighbours.slice(100)]);
    // This one fills a fragment by itself: its edit leaves no deletion file behind.
    await index.upsert([alone]);
    const later = (d: SearchDocument, body: string) => ({ ...d, body, updatedAt: new Date(d.updatedAt.getTime() + 1) });
    await index.upsert([later(edited, 'my password is hidden'), later(alone, 'my pin is hidden')]);

    const search = (text: string) => index.search({ tenantId: tenant, roomIds: ['room1'], mode: 'keyword', text, limit: 10 });
    expect((await search(erased)).hits.map((h) => h.messageId)).toEqual([target.messageId]);
    for (const marker of [erased, editedAway, editedAlone]) expect(holding(dir, marker).length).toBeGreaterThan(0);
    const vectorBytes = Buffer.from(markerVector.buffer);
    expect(holding(dir, vectorBytes).some((p) => p.includes('_indices'))).toBe(true);
    const indexFilesBefore = [...filesUnder(dir).keys()].filter((p) => p.includes(`${path.sep}_indices${path.sep}`));

    await index.remove(tenant, [target.messageId]);

    for (const marker of [erased, editedAway, editedAlone]) expect(holding(dir, marker)).toEqual([]);
    expect(holding(dir, vectorBytes)).toEqual([]);
    // The full-text index compresses its words, so bytes alone cannot prove it clean:
    // every index file written while the markers were indexed must be gone.
    const now = filesUnder(dir);
    expect(indexFilesBefore.filter((p) => now.has(p))).toEqual([]);
    expect((await search(erased)).hits).toEqual([]);
    expect((await search('ordinary')).hits).toHaveLength(10);
    expect(new Set((await search('hidden')).hits.map((h) => h.messageId))).toEqual(new Set([edited.messageId, alone.messageId]));
    const nearest = await index.search({ tenantId: tenant, roomIds: ['room1'], mode: 'semantic', text: '', vector: unit(0), limit: 3 });
    expect(nearest.hits).toHaveLength(3);
    await index.close();
  });

  it("purge deletes the tenant's files and nobody else's", async () => {
    const dir = path.join(work, 'purge');
    const index = await LanceSearchIndex.open({ dir, dimension: CONTRACT_DIMENSION });
    const [gone, stays] = [randomUUID(), randomUUID()];
    const marker = `purged${randomUUID().slice(0, 8)}`;
    await index.upsert([docOf(gone, `tenant secret ${marker}`, 1), docOf(stays, 'other tenant text', 2)]);
    expect(holding(dir, marker).length).toBeGreaterThan(0);

    await index.purge(gone);
    expect(holding(dir, marker)).toEqual([]);
    expect(fs.readdirSync(dir).filter((n) => n.includes(gone))).toEqual([]);
    expect(holding(dir, 'other tenant text').length).toBeGreaterThan(0);
    await index.close();
  });
});
