import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { LanceSearchIndex } from '../lib/search-index/lance-index.js';
import { filterOf, tableName } from '../lib/search-index/lance-table.js';
import { foldWord, queryTokens } from '../lib/search-index/highlight.js';
import { MAX_SEARCH_DEPTH, type SearchDocument, type SearchMode, type SearchQuery } from '../lib/search-index/search-index.js';
import { InstantEmbedder } from '../devstack/scaigrid/instant-embedder.js';
import { prng } from '../devstack/prng.js';
import { syntheticMessages } from './lib/synthetic-messages.js';
import { fmt, ms, percentile, table } from './lib/stats.js';
import { wholeNumberOptions } from './lib/options.js';

// The embedded message index (lib/search-index/lance-index.ts) at scale: upsert
// throughput, query latency per mode, recall@10 of semantic mode against exact
// brute-force cosine on the same vectors, keyword mode against a plain
// substring scan, the cost of a physical removal, and LanceDB's own RRF
// reranker beside our fusion — each beside a baseline from the same run.
//
// VECTORS COME FROM AN INSTANT, DETERMINISTIC STAND-IN EMBEDDER
// (devstack/scaigrid/instant-embedder.ts, the reference ScaiGrid's instant engine): these are index-only figures. Figures with
// the real embedding model belong to the embedding bench.
//
//   node --import tsx bench/search-index.ts [--messages 100000] [--queries 200] ...   (--help lists all)
//
// Needs nothing running; writes to a temp dir it removes at the end.
// Issue 12's goals: query p95 < 50 ms at 100k messages, recall@10 >= 0.95.

const OPTIONS = {
  messages: { default: 20_000, help: 'messages indexed (the issue asks for 100000)' },
  rooms: { default: 300, help: 'rooms the messages are spread over' },
  authors: { default: 200, help: 'authors the messages are spread over' },
  'readable-rooms': { default: 30, help: 'rooms the searching user may read (the roomIds filter)' },
  queries: { default: 200, help: 'queries per mode' },
  batch: { default: 500, help: 'messages per upsert call' },
  removals: { default: 5, help: 'timed remove calls, 10 messages each' },
  dimension: { default: 384, help: 'vector length' },
  seed: { default: 12, help: 'seed of the corpus and the queries' },
} as const;
const opt = wholeNumberOptions('bench/search-index.ts', OPTIONS);

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-bench-search-'));
const timed = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
  const start = performance.now();
  const result = await run();
  return [result, performance.now() - start];
};
const latencies = (samples: number[]) => [ms(percentile(samples, 50)), ms(percentile(samples, 95)), ms(percentile(samples, 99))];

async function main(): Promise<void> {
  const loadAtStart = os.loadavg()[0]!;
  const tenantId = randomUUID();
  const workspaceId = randomUUID();
  const roomIds = Array.from({ length: opt.rooms }, () => randomUUID());
  const authorIds = Array.from({ length: opt.authors }, () => randomUUID());
  const embedder = new InstantEmbedder(opt.dimension);
  const start = Date.parse('2026-01-01T00:00:00Z');

  const [docs, embedMs] = await timed(async () =>
    [...syntheticMessages({ seed: opt.seed, messages: opt.messages, rooms: opt.rooms, authors: opt.authors })].map(
      (m): SearchDocument => ({
        messageId: randomUUID(),
        tenantId,
        workspaceId,
        roomId: roomIds[m.roomIndex]!,
        authorId: authorIds[m.authorIndex]!,
        createdAt: new Date(start + m.offsetMs),
        updatedAt: new Date(start + m.offsetMs),
        body: m.body,
        vector: embedder.embed(m.body),
      }),
    ),
  );
  say(`corpus: ${docs.length} messages, ${opt.rooms} rooms, ${opt.authors} authors, 8 languages, seed ${opt.seed}`);
  say(`vectors: INSTANT STAND-IN EMBEDDER, ${opt.dimension} dimensions (${fmt(docs.length / (embedMs / 1000), 0)} texts/s) — index-only figures\n`);

  // --- upsert throughput, beside LanceDB's bare append of the same rows
  const index = await LanceSearchIndex.open({ dir: path.join(work, 'index'), dimension: opt.dimension });
  const [, upsertMs] = await timed(async () => {
    for (let i = 0; i < docs.length; i += opt.batch) await index.upsert(docs.slice(i, i + opt.batch));
  });
  const bare = await lancedb.connect(path.join(work, 'bare'));
  const bareRows = (batch: SearchDocument[]) =>
    batch.map((d) => ({ message_id: d.messageId, room_id: d.roomId, body: d.body, created_at: d.createdAt.getTime(), vector: Array.from(d.vector) }));
  const [, appendMs] = await timed(async () => {
    const t = await bare.createTable('bare', bareRows(docs.slice(0, opt.batch)));
    for (let i = opt.batch; i < docs.length; i += opt.batch) await t.add(bareRows(docs.slice(i, i + opt.batch)));
  });

  // --- queries: a user who reads `readable-rooms` rooms looks for two words of a message in one of them
  const rand = prng(opt.seed + 1);
  const folded = docs.map((d) => foldWord(d.body));
  const queries = Array.from({ length: opt.queries }, () => {
    const readable = new Set<string>();
    while (readable.size < Math.min(opt['readable-rooms'], opt.rooms)) readable.add(roomIds[Math.floor(rand() * opt.rooms)]!);
    const inReach = docs.filter((d) => readable.has(d.roomId));
    const source = inReach[Math.floor(rand() * inReach.length)] ?? docs[0]!;
    const words = [...queryTokens(source.body)].filter((w) => !/^\d+$/.test(w));
    const text = [words[Math.floor(rand() * words.length)], words[Math.floor(rand() * words.length)]].join(' ');
    return { text, vector: embedder.embed(text), roomIds: [...readable] };
  });
  const ask = (q: (typeof queries)[number], mode: SearchMode): SearchQuery => ({ tenantId, roomIds: q.roomIds, text: q.text, vector: q.vector, mode, limit: 10 });

  const modeLatency: Record<SearchMode, number[]> = { keyword: [], semantic: [], hybrid: [] };
  const top10: Record<SearchMode, string[][]> = { keyword: [], semantic: [], hybrid: [] };
  for (const q of queries) {
    for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
      const [page, took] = await timed(() => index.search(ask(q, mode)));
      modeLatency[mode].push(took);
      top10[mode].push(page.hits.map((h) => h.messageId));
    }
  }

  // Baselines: exact cosine over every vector of the readable rooms, and a substring scan of their texts.
  const exact: string[][] = [];
  const exactMs: number[] = [];
  const substring: Set<string>[] = [];
  const substringMs: number[] = [];
  for (const q of queries) {
    const rooms = new Set(q.roomIds);
    let t0 = performance.now();
    const scored: { id: string; score: number }[] = [];
    for (const d of docs) {
      if (!rooms.has(d.roomId)) continue;
      let dot = 0;
      for (let i = 0; i < d.vector.length; i++) dot += d.vector[i]! * q.vector[i]!;
      scored.push({ id: d.messageId, score: dot });
    }
    scored.sort((a, b) => b.score - a.score);
    exact.push(scored.slice(0, 10).map((s) => s.id));
    exactMs.push(performance.now() - t0);

    t0 = performance.now();
    const needles = [...queryTokens(q.text)];
    const matches = new Set<string>();
    docs.forEach((d, i) => {
      if (rooms.has(d.roomId) && needles.every((n) => folded[i]!.includes(n))) matches.add(d.messageId);
    });
    substring.push(matches);
    substringMs.push(performance.now() - t0);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const semanticRecall = mean(top10.semantic.map((got, i) => got.filter((id) => exact[i]!.includes(id)).length / Math.max(1, Math.min(10, exact[i]!.length))));
  const keywordAgreement = mean(top10.keyword.map((got, i) => got.filter((id) => substring[i]!.has(id)).length / Math.max(1, Math.min(10, substring[i]!.size))));

  // LanceDB's own hybrid query with its RRF reranker, against our fusion of two queries.
  const direct = await (await lancedb.connect(path.join(work, 'index'))).openTable(tableName(tenantId));
  const reranker = await lancedb.rerankers.RRFReranker.create(60);
  const builtinMs: number[] = [];
  const builtinOverlap: number[] = [];
  for (const [i, q] of queries.entries()) {
    const [rows, took] = await timed(
      async () =>
        (await direct
          .query()
          .fullTextSearch(new lancedb.MatchQuery(q.text, 'body'))
          .nearestTo(q.vector)
          .distanceType('cosine')
          .where(filterOf(ask(q, 'hybrid')))
          .rerank(reranker)
          .select(['message_id', 'room_id', 'author_id', 'created_at', 'body'])
          .limit(MAX_SEARCH_DEPTH)
          .toArray()) as { message_id: string }[],
    );
    builtinMs.push(took);
    const ids = rows.slice(0, 10).map((r) => r.message_id);
    builtinOverlap.push(ids.filter((id) => top10.hybrid[i]!.includes(id)).length / Math.max(1, Math.min(10, ids.length)));
  }

  // Physical removal: 10 messages a call, rewriting what holds them and pruning old versions.
  const removeMs: number[] = [];
  for (let r = 0; r < opt.removals; r++) {
    const ids = Array.from({ length: 10 }, () => docs[Math.floor(rand() * docs.length)]!.messageId);
    removeMs.push((await timed(() => index.remove(tenantId, ids)))[1]);
  }

  say(
    table([
      ['step', 'figure', 'baseline (same run)'],
      ['upsert', `${fmt(docs.length / (upsertMs / 1000), 0)} msg/s (batches of ${opt.batch})`, `${fmt(docs.length / (appendMs / 1000), 0)} msg/s bare LanceDB append (no merge, no index)`],
      ...(['keyword', 'semantic', 'hybrid'] as const).map((mode) => {
        const [p50, p95, p99] = latencies(modeLatency[mode]);
        const base =
          mode === 'semantic'
            ? `exact cosine in JS: p50 ${latencies(exactMs)[0]}, p95 ${latencies(exactMs)[1]}`
            : mode === 'keyword'
              ? `substring scan in JS: p50 ${latencies(substringMs)[0]}, p95 ${latencies(substringMs)[1]}`
              : `LanceDB hybrid + RRFReranker: p50 ${latencies(builtinMs)[0]}, p95 ${latencies(builtinMs)[1]}`;
        return [`query ${mode}`, `p50 ${p50}  p95 ${p95}  p99 ${p99}`, base];
      }),
      ['recall@10 semantic', fmt(semanticRecall, 3), 'exact cosine top 10 over the same rooms'],
      ['keyword top 10 in substring set', fmt(keywordAgreement, 3), 'share of hits holding every query word (as a substring)'],
      ['hybrid top 10 overlap', fmt(mean(builtinOverlap), 3), 'our RRF vs LanceDB RRFReranker'],
      ['remove 10 (physical)', `p50 ${ms(percentile(removeMs, 50))}  max ${ms(Math.max(...removeMs))}`, `${docs.length} messages in the tenant`],
    ]),
  );
  say(`\ngoals (issue 12): query p95 < 50 ms at 100k messages; recall@10 >= 0.95. This run: ${docs.length} messages.`);
  say(`load average (1 min) at start ${fmt(loadAtStart, 2)}, at end ${fmt(os.loadavg()[0]!, 2)} on ${os.cpus().length} cores: figures from a busy machine run slow, baselines too.`);
  direct.close();
  bare.close();
  await index.close();
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(work, { recursive: true, force: true }));
