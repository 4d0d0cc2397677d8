import weaviate, { Filters, generateUuid5, type Collection, type FilterValue, type WeaviateClient } from 'weaviate-client';
import { MAX_SEARCH_DEPTH, type SearchDocument, type SearchIndex, type SearchPage, type SearchQuery } from './search-index.js';
import { checkDocuments, checkId, checkMessageIds, checkQuery } from './search-input.js';
import { indexedWords } from './highlight.js';
import { stableOrder, type Candidate } from './ranking.js';
import { cursorOffset, pageOfHits } from './cursor.js';

// The production backend: one Weaviate collection, one Weaviate tenant (a
// shard of its own) per Scai tenant, vectors we provide (no vectorizer module:
// ScaiGrid embeds). Kept thin on purpose — no Weaviate server can run on the
// development machines, so only the shared contract suite, pointed at a real
// server through SCAIWAVE_TEST_WEAVIATE_URL, vouches for it.
//
// Words are searched in `words`, the text folded the way highlight.ts and the
// embedded index fold it (lower case, accents stripped), so "cafe" finds
// "Café" on both backends; `body` keeps the text as written, for snippets.
// Removal deletes the objects; Weaviate drops their bytes from its segment
// files when it compacts them, and a tenant's purge deletes its shard.

// What each object stores: the document without the tenant (the Weaviate tenant
// says it) and the vector (stored as the object's vector), plus the folded words.
// A type, not an interface: the client's generics need an index signature.
type MessageProps = Omit<SearchDocument, 'tenantId' | 'vector'> & { words: string };

interface WeaviateIndexOptions {
  url: string;
  grpcPort: number;
  apiKey?: string;
  collection: string;
  dimension: number;
}

const foldText = (text: string) => indexedWords(text).join(' ');
const objectId = (messageId: string) => generateUuid5(messageId);
const isMissingTenant = (err: unknown) => err instanceof Error && /tenant.*not (found|exist)|not found.*tenant/i.test(err.message);

export class WeaviateSearchIndex implements SearchIndex {
  readonly dimension: number;

  private constructor(
    private readonly client: WeaviateClient,
    private readonly collection: Collection<MessageProps>,
    dimension: number,
  ) {
    this.dimension = dimension;
  }

  static async connect(o: WeaviateIndexOptions): Promise<WeaviateSearchIndex> {
    const url = new URL(o.url);
    const secure = url.protocol === 'https:';
    const client = await weaviate.connectToCustom({
      httpHost: url.hostname,
      httpPort: Number(url.port || (secure ? 443 : 80)),
      httpPath: url.pathname === '/' ? undefined : url.pathname,
      httpSecure: secure,
      grpcHost: url.hostname,
      grpcPort: o.grpcPort,
      grpcSecure: secure,
      authCredentials: o.apiKey ? new weaviate.ApiKey(o.apiKey) : undefined,
    });
    if (!(await client.collections.exists(o.collection))) {
      await client.collections
        .create<MessageProps>({
          name: o.collection,
          multiTenancy: weaviate.configure.multiTenancy({ enabled: true, autoTenantCreation: true }),
          vectorizers: weaviate.configure.vectors.selfProvided({
            vectorIndexConfig: weaviate.configure.vectorIndex.hnsw({ distanceMetric: 'cosine' }),
          }),
          properties: [
            { name: 'messageId', dataType: 'text', tokenization: 'field', indexSearchable: false },
            { name: 'workspaceId', dataType: 'text', tokenization: 'field', indexSearchable: false },
            { name: 'roomId', dataType: 'text', tokenization: 'field', indexSearchable: false },
            { name: 'authorId', dataType: 'text', tokenization: 'field', indexSearchable: false },
            { name: 'createdAt', dataType: 'date', indexRangeFilters: true },
            { name: 'updatedAt', dataType: 'date' },
            { name: 'body', dataType: 'text', indexSearchable: false, indexFilterable: false },
            { name: 'words', dataType: 'text', tokenization: 'whitespace', indexFilterable: false },
          ],
        })
        .catch(async (err: unknown) => {
          // Another process created it first.
          if (!(await client.collections.exists(o.collection))) throw err;
        });
    }
    return new WeaviateSearchIndex(client, client.collections.use<string, MessageProps>(o.collection), o.dimension);
  }

  async upsert(docs: readonly SearchDocument[]): Promise<void> {
    checkDocuments(docs, this.dimension);
    const byTenant = new Map<string, Map<string, SearchDocument>>();
    for (const d of docs) {
      const batch = byTenant.get(d.tenantId) ?? new Map<string, SearchDocument>();
      batch.set(d.messageId, d);
      byTenant.set(d.tenantId, batch);
    }
    for (const [tenantId, batch] of byTenant) {
      const tenant = this.collection.withTenant(tenantId);
      // Weaviate replaces unconditionally: a write older than what is stored is dropped here
      // (a read, then a write: narrower than the embedded index's single commit, same rule).
      const stored = await this.stored(tenantId, [...batch.keys()]);
      const fresh = [...batch.values()].filter((d) => (stored.get(d.messageId) ?? -Infinity) <= d.updatedAt.getTime());
      if (fresh.length === 0) continue;
      const result = await tenant.data.insertMany(
        fresh.map((d) => ({
          id: objectId(d.messageId),
          properties: {
            messageId: d.messageId,
            workspaceId: d.workspaceId,
            roomId: d.roomId,
            authorId: d.authorId,
            createdAt: d.createdAt,
            updatedAt: d.updatedAt,
            body: d.body,
            words: foldText(d.body),
          },
          vectors: Array.from(d.vector),
        })),
      );
      // Errors name the object, never its text.
      if (result.hasErrors) throw new Error(`weaviate: ${Object.keys(result.errors).length} of ${fresh.length} objects not written`);
    }
  }

  async remove(tenantId: string, messageIds: readonly string[]): Promise<void> {
    checkMessageIds(tenantId, messageIds);
    if (messageIds.length === 0) return;
    const tenant = this.collection.withTenant(tenantId);
    await tenant.data
      .deleteMany(tenant.filter.byProperty('messageId').containsAny([...messageIds]))
      .catch((err: unknown) => {
        if (!isMissingTenant(err)) throw err;
      });
  }

  async purge(tenantId: string): Promise<void> {
    checkId('tenantId', tenantId);
    await this.collection.tenants.remove([tenantId]).catch((err: unknown) => {
      if (!isMissingTenant(err)) throw err;
    });
  }

  async search(q: SearchQuery): Promise<SearchPage> {
    checkQuery(q, this.dimension);
    cursorOffset(q);
    if (q.roomIds.length === 0) return { hits: [], nextCursor: null };
    const ranked = await this.ranked(q).catch((err: unknown) => {
      if (isMissingTenant(err)) return [];
      throw err;
    });
    return pageOfHits(q, ranked);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async ranked(q: SearchQuery): Promise<Candidate[]> {
    const tenant = this.collection.withTenant(q.tenantId);
    const common = {
      filters: this.filterOf(q),
      limit: MAX_SEARCH_DEPTH,
      returnProperties: ['messageId', 'roomId', 'authorId', 'createdAt', 'body'] as (keyof MessageProps)[],
    };
    const words = foldText(q.text);
    if (q.mode === 'keyword') {
      if (words === '') return [];
      const res = await tenant.query.bm25(words, { ...common, queryProperties: ['words'], returnMetadata: ['score'] });
      return stableOrder(res.objects.map((o) => candidate(o.properties, o.metadata?.score ?? 0)), MAX_SEARCH_DEPTH);
    }
    const vector = Array.from(q.vector as Float32Array);
    if (q.mode === 'semantic') {
      const res = await tenant.query.nearVector(vector, { ...common, returnMetadata: ['distance'] });
      return stableOrder(res.objects.map((o) => candidate(o.properties, 1 - (o.metadata?.distance ?? 1))), MAX_SEARCH_DEPTH);
    }
    // Ranked fusion is reciprocal rank fusion, as in the embedded index (ranking.ts).
    const res = await tenant.query.hybrid(words, { ...common, vector, alpha: 0.5, fusionType: 'Ranked', queryProperties: ['words'], returnMetadata: ['score'] });
    return stableOrder(res.objects.map((o) => candidate(o.properties, o.metadata?.score ?? 0)), MAX_SEARCH_DEPTH);
  }

  private filterOf(q: SearchQuery): FilterValue {
    const f = this.collection.filter;
    const all: FilterValue[] = [f.byProperty('roomId').containsAny([...q.roomIds])];
    if (q.authorId !== undefined) all.push(f.byProperty('authorId').equal(q.authorId));
    if (q.before !== undefined) all.push(f.byProperty('createdAt').lessThan(q.before));
    if (q.after !== undefined) all.push(f.byProperty('createdAt').greaterThan(q.after));
    return Filters.and(...all);
  }

  /** updatedAt (ms) of the messages already stored, by messageId. */
  private async stored(tenantId: string, messageIds: string[]): Promise<Map<string, number>> {
    const tenant = this.collection.withTenant(tenantId);
    const res = await tenant.query
      .fetchObjects({
        filters: tenant.filter.byProperty('messageId').containsAny(messageIds),
        limit: messageIds.length,
        returnProperties: ['messageId', 'updatedAt'],
      })
      .catch((err: unknown) => {
        if (isMissingTenant(err)) return { objects: [] };
        throw err;
      });
    return new Map(res.objects.map((o) => [o.properties.messageId, new Date(o.properties.updatedAt).getTime()]));
  }
}

function candidate(p: Partial<MessageProps>, score: number): Candidate {
  return {
    messageId: String(p.messageId),
    roomId: String(p.roomId),
    authorId: String(p.authorId),
    createdAt: new Date(p.createdAt as Date),
    body: String(p.body ?? ''),
    score,
  };
}
