import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.js';
import type { SearchDocument, SearchHit, SearchIndex, SearchMode, SearchQuery } from '../../lib/search-index/search-index.js';

// What every SearchIndex backend must do, written once and run against each
// (test/search-index.test.ts). Vectors are hand-made in 8 dimensions with known
// geometry — basis vectors are orthogonal, `near` leans a basis vector towards
// another — so every ranking below is exact, not statistical.

export const CONTRACT_DIMENSION = 8;

export interface IndexUnderTest {
  /** A new handle on the same store each call, as another process would open it. */
  open(): Promise<SearchIndex>;
}

const basis = (i: number): Float32Array => {
  const v = new Float32Array(CONTRACT_DIMENSION);
  v[i] = 1;
  return v;
};

/** Unit vector between basis i and basis j: cosine to basis i is 1/sqrt(1+w²). */
const near = (i: number, j: number, w: number): Float32Array => {
  const v = new Float32Array(CONTRACT_DIMENSION);
  const n = Math.hypot(1, w);
  v[i] = 1 / n;
  v[j] = w / n;
  return v;
};

const T0 = Date.parse('2026-03-01T12:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

interface Space {
  tenantId: string;
  workspaceId: string;
  room: string;
  otherRoom: string;
  author: string;
  otherAuthor: string;
}

function newSpace(): Space {
  return { tenantId: randomUUID(), workspaceId: randomUUID(), room: randomUUID(), otherRoom: randomUUID(), author: randomUUID(), otherAuthor: randomUUID() };
}

function doc(s: Space, body: string, vector: Float32Array, extra: Partial<SearchDocument> = {}): SearchDocument {
  const createdAt = extra.createdAt ?? at(0);
  return {
    messageId: randomUUID(),
    tenantId: s.tenantId,
    workspaceId: s.workspaceId,
    roomId: s.room,
    authorId: s.author,
    createdAt,
    updatedAt: createdAt,
    body,
    vector,
    ...extra,
  };
}

const ids = (hits: SearchHit[]) => hits.map((h) => h.messageId);

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('VALIDATION_ERROR');
  return err as AppError;
}

export function searchIndexContract(name: string, under: IndexUnderTest): void {
  describe(`SearchIndex contract: ${name}`, () => {
    let index: SearchIndex | undefined;
    const handles: SearchIndex[] = [];
    const idx = async (): Promise<SearchIndex> => (index ??= await opened());
    const opened = async () => {
      const h = await under.open();
      handles.push(h);
      return h;
    };
    afterAll(async () => {
      await Promise.all(handles.map((h) => h.close()));
    });

    const search = async (s: Space, q: Partial<SearchQuery> & { mode: SearchMode }) =>
      (await idx()).search({ tenantId: s.tenantId, roomIds: [s.room], text: '', limit: 20, ...q });

    it('keyword mode finds messages by their words and marks the words in the snippet', async () => {
      const s = newSpace();
      const cafe = doc(s, 'Meet at the Café at noon, bring the «draft» report', basis(0));
      const cats = doc(s, 'cats sleep all day', basis(1));
      const both = doc(s, 'the report on the café renovation', basis(2));
      await (await idx()).upsert([cafe, cats, both]);

      const page = await search(s, { mode: 'keyword', text: 'cafe REPORT' });
      expect(new Set(ids(page.hits))).toEqual(new Set([cafe.messageId, both.messageId]));
      const snippetOf = (id: string) => page.hits.find((h) => h.messageId === id)?.snippet;
      expect(snippetOf(cafe.messageId)).toBe('Meet at the «Café» at noon, bring the ‹draft› «report»');
      expect(snippetOf(both.messageId)).toBe('the «report» on the «café» renovation');
      for (const h of page.hits) {
        expect(h).toMatchObject({ roomId: s.room, authorId: s.author, createdAt: at(0) });
        expect(h.score).toBeGreaterThan(0);
      }
      expect((await search(s, { mode: 'keyword', text: 'dogs' })).hits).toEqual([]);
    });

    it('keyword mode finds a word inside Chinese and Japanese text, which has no spaces between words', async () => {
      const s = newSpace();
      const tokyo = doc(s, '私は東京に住んでいます', basis(0));
      const duck = doc(s, '我喜欢北京烤鸭', basis(1));
      await (await idx()).upsert([tokyo, duck]);
      const [hit] = (await search(s, { mode: 'keyword', text: '東京' })).hits;
      expect(hit?.messageId).toBe(tokyo.messageId);
      expect(hit?.snippet).toBe('私は«東京»に住んでいます');
      expect(ids((await search(s, { mode: 'keyword', text: '烤鸭' })).hits)).toEqual([duck.messageId]);
    });

    it('a snippet of a long text starts near the first match', async () => {
      const s = newSpace();
      const long = doc(s, `${'filler words here '.repeat(30)}the needle sits here ${'and more text after '.repeat(30)}`, basis(0));
      await (await idx()).upsert([long]);
      const [hit] = (await search(s, { mode: 'keyword', text: 'needle' })).hits;
      expect(hit?.snippet).toMatch(/^….*the «needle» sits here .*…$/);
      expect(hit?.snippet.length).toBeLessThanOrEqual(205);
    });

    it('semantic mode ranks by cosine similarity to the query vector', async () => {
      const s = newSpace();
      const exact = doc(s, 'alpha', basis(0));
      const close = doc(s, 'beta', near(0, 1, 0.3));
      const far = doc(s, 'gamma', near(0, 2, 2));
      const orthogonal = doc(s, 'delta', basis(3));
      await (await idx()).upsert([orthogonal, far, exact, close]);

      const page = await search(s, { mode: 'semantic', text: 'anything', vector: basis(0) });
      expect(ids(page.hits)).toEqual([exact.messageId, close.messageId, far.messageId, orthogonal.messageId]);
      const scores = page.hits.map((h) => h.score);
      expect(scores[0]).toBeCloseTo(1, 4);
      expect(scores[1]).toBeCloseTo(1 / Math.hypot(1, 0.3), 4);
      expect(scores[2]).toBeCloseTo(1 / Math.hypot(1, 2), 4);
      expect(scores[3]).toBeCloseTo(0, 4);
    });

    it('hybrid mode ranks a message matching words and vector above one matching either', async () => {
      const s = newSpace();
      // Each is second to `both` in its own list: fewer words matched, or a vector further off.
      const both = doc(s, 'quarterly budget review', basis(0));
      const wordsOnly = doc(s, 'quarterly budget numbers for the review meeting', basis(1));
      const vectorOnly = doc(s, 'lunch menu', near(0, 1, 0.5));
      const neither = doc(s, 'holiday photos', basis(2));
      await (await idx()).upsert([neither, vectorOnly, wordsOnly, both]);

      const page = await search(s, { mode: 'hybrid', text: 'budget review', vector: basis(0) });
      expect(page.hits[0]?.messageId).toBe(both.messageId);
      expect(ids(page.hits).slice(1, 3).sort()).toEqual([wordsOnly.messageId, vectorOnly.messageId].sort());
      expect(page.hits[0]?.snippet).toBe('quarterly «budget» «review»');
      expect(page.hits[0]!.score).toBeGreaterThan(page.hits[1]!.score);
    });

    it('never shows a message from a room outside roomIds, in any mode, and filters before the top-k cut', async () => {
      const s = newSpace();
      // The unreadable room holds more and better matches than one page.
      const hidden = Array.from({ length: 30 }, () => doc(s, 'secret plan plan plan', basis(0), { roomId: s.otherRoom }));
      const visible = Array.from({ length: 5 }, (_, i) => doc(s, 'the plan', near(0, 1, 1 + i)));
      await (await idx()).upsert([...hidden, ...visible]);

      for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
        const page = await search(s, { mode, text: 'secret plan', vector: basis(0), limit: 5 });
        expect(new Set(ids(page.hits))).toEqual(new Set(visible.map((d) => d.messageId)));
      }
      expect((await search(s, { mode: 'hybrid', text: 'plan', vector: basis(0), roomIds: [] })).hits).toEqual([]);
    });

    it("never shows another tenant's messages, even in a room with the same id", async () => {
      const s = newSpace();
      const other = { ...newSpace(), room: s.room };
      const mine = doc(s, 'shared words', basis(0));
      const theirs = doc(other, 'shared words', basis(0));
      await (await idx()).upsert([mine, theirs]);
      for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
        expect(ids((await search(s, { mode, text: 'shared words', vector: basis(0) })).hits)).toEqual([mine.messageId]);
      }
    });

    it('filters by author and by time, bounds excluded', async () => {
      const s = newSpace();
      const early = doc(s, 'status update', basis(0), { createdAt: at(-10) });
      const middle = doc(s, 'status update', basis(0), { createdAt: at(0) });
      const late = doc(s, 'status update', basis(0), { createdAt: at(10) });
      const byOther = doc(s, 'status update', basis(0), { createdAt: at(0), authorId: s.otherAuthor });
      await (await idx()).upsert([early, middle, late, byOther]);

      for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
        const q = { mode, text: 'status', vector: basis(0) };
        expect(new Set(ids((await search(s, { ...q, authorId: s.otherAuthor })).hits))).toEqual(new Set([byOther.messageId]));
        expect(new Set(ids((await search(s, { ...q, after: at(-10), before: at(10) })).hits))).toEqual(
          new Set([middle.messageId, byOther.messageId]),
        );
        expect(ids((await search(s, { ...q, before: at(-10) })).hits)).toEqual([]);
        expect(ids((await search(s, { ...q, after: at(0), authorId: s.author })).hits)).toEqual([late.messageId]);
      }
    });

    it('an upsert of an edit replaces the old text; an older write never overwrites a newer one', async () => {
      const s = newSpace();
      const original = doc(s, 'meeting moved to tuesday', basis(0));
      await (await idx()).upsert([original]);
      const edited = { ...original, body: 'meeting moved to friday', vector: basis(1), updatedAt: at(5) };
      await (await idx()).upsert([edited]);
      await (await idx()).upsert([edited]);

      expect((await search(s, { mode: 'keyword', text: 'tuesday' })).hits).toEqual([]);
      const found = await search(s, { mode: 'keyword', text: 'friday' });
      expect(ids(found.hits)).toEqual([original.messageId]);
      expect(found.hits[0]?.createdAt).toEqual(at(0));
      expect(ids((await search(s, { mode: 'semantic', vector: basis(1) })).hits)).toEqual([original.messageId]);

      // A backfill that read the row before the edit arrives late.
      await (await idx()).upsert([original]);
      expect((await search(s, { mode: 'keyword', text: 'tuesday' })).hits).toEqual([]);
      expect(ids((await search(s, { mode: 'keyword', text: 'friday' })).hits)).toEqual([original.messageId]);
    });

    it('remove takes messages out of every mode, and removing again or unknown ids is harmless', async () => {
      const s = newSpace();
      const gone = doc(s, 'delete this message', basis(0));
      const kept = doc(s, 'keep this message', basis(1));
      await (await idx()).upsert([gone, kept]);
      await (await idx()).remove(s.tenantId, [gone.messageId, randomUUID()]);
      await (await idx()).remove(s.tenantId, [gone.messageId]);

      for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
        const page = await search(s, { mode, text: 'delete message', vector: basis(0) });
        expect(ids(page.hits)).not.toContain(gone.messageId);
      }
      expect(ids((await search(s, { mode: 'keyword', text: 'keep' })).hits)).toEqual([kept.messageId]);
      await (await idx()).remove(randomUUID(), [randomUUID()]);
    });

    it('pages through a search with no repeats and no gaps, ties included', async () => {
      const s = newSpace();
      // Many exact ties: identical texts and vectors.
      const docs = [
        ...Array.from({ length: 18 }, () => doc(s, 'weekly sync notes', basis(0))),
        ...Array.from({ length: 14 }, (_, i) => doc(s, `sync ${i}`, near(0, 1 + (i % 3), 0.5 + i / 10))),
      ];
      await (await idx()).upsert(docs);

      for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
        const q = { mode, text: 'weekly sync', vector: basis(0) };
        const whole = ids((await search(s, { ...q, limit: 100 })).hits);
        expect(whole).toHaveLength(32);
        const paged: string[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await search(s, { ...q, limit: 7, cursor });
          paged.push(...ids(page.hits));
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(paged).toEqual(whole);
      }
    });

    it('refuses a cursor from another search or one that is not a cursor', async () => {
      const s = newSpace();
      await (await idx()).upsert(Array.from({ length: 3 }, () => doc(s, 'cursor words', basis(0))));
      const first = await search(s, { mode: 'keyword', text: 'cursor', limit: 1 });
      expect(first.nextCursor).not.toBeNull();
      await refusal(search(s, { mode: 'keyword', text: 'words', limit: 1, cursor: first.nextCursor! }));
      await refusal(search(s, { mode: 'keyword', text: 'cursor', limit: 1, cursor: 'bm90IGEgY3Vyc29y' }));
    });

    it('purge empties the tenant and leaves other tenants alone; the tenant can be indexed again', async () => {
      const s = newSpace();
      const other = newSpace();
      await (await idx()).upsert([doc(s, 'to be purged', basis(0)), doc(other, 'to be purged', basis(0))]);
      await (await idx()).purge(s.tenantId);

      for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
        expect((await search(s, { mode, text: 'purged', vector: basis(0) })).hits).toEqual([]);
      }
      expect((await search(other, { mode: 'keyword', text: 'purged' })).hits).toHaveLength(1);
      const again = doc(s, 'back again', basis(0));
      await (await idx()).upsert([again]);
      expect(ids((await search(s, { mode: 'keyword', text: 'again' })).hits)).toEqual([again.messageId]);
    });

    it('two callers writing the same tenant at once lose nothing', async () => {
      const s = newSpace();
      const [a, b] = [await opened(), await opened()];
      const batches = Array.from({ length: 8 }, (_, i) => Array.from({ length: 10 }, (_, j) => doc(s, `concurrent ${i} ${j}`, near(0, 1, (i * 10 + j) / 40))));
      const doomed = doc(s, 'concurrent doomed', basis(0));
      await a.upsert([doomed]);
      await Promise.all([...batches.map((batch, i) => (i % 2 ? a : b).upsert(batch)), b.remove(s.tenantId, [doomed.messageId])]);

      const found = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await a.search({ tenantId: s.tenantId, roomIds: [s.room], mode: 'keyword', text: 'concurrent', limit: 100, cursor });
        ids(page.hits).forEach((id) => found.add(id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(found).toEqual(new Set(batches.flat().map((d) => d.messageId)));
    });

    it('compares ids byte for byte and refuses ids that could leave a filter', async () => {
      const s = newSpace();
      const upper = { ...s, room: `R-${s.room.slice(2)}` };
      const lower = { ...s, room: `r-${s.room.slice(2)}` };
      const d = doc(upper, 'case matters', basis(0));
      await (await idx()).upsert([d]);
      expect((await search(lower, { mode: 'keyword', text: 'case' })).hits).toEqual([]);
      expect(ids((await search(upper, { mode: 'keyword', text: 'case' })).hits)).toEqual([d.messageId]);

      await refusal(search(s, { mode: 'keyword', text: 'case', roomIds: [`${s.room}') OR (1=1`] }));
      await refusal(search(s, { mode: 'keyword', text: 'case', authorId: "x' OR '1'='1" }));
      await refusal((await idx()).upsert([doc(s, 'bad id', basis(0), { roomId: "r'; --" })]));
      await refusal((await idx()).remove(s.tenantId, ["x') OR true OR ('"]));
      await refusal((await idx()).purge('../etc'));
    });

    it('refuses vectors of the wrong length or norm and queries missing what their mode needs', async () => {
      const s = newSpace();
      const idx8 = await idx();
      await refusal(idx8.upsert([doc(s, 'short', new Float32Array(CONTRACT_DIMENSION - 1).fill(0.5))]));
      await refusal(idx8.upsert([doc(s, 'long', new Float32Array(CONTRACT_DIMENSION).fill(1))]));
      await refusal(search(s, { mode: 'semantic', text: 'x' }));
      await refusal(search(s, { mode: 'hybrid', text: 'x' }));
      await refusal(search(s, { mode: 'keyword', text: '  ' }));
      await refusal(search(s, { mode: 'keyword', text: 'x', limit: 0 }));
    });
  });
}
