import os from 'node:os';
import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { startUserErasure } from '../domains/erasure/client.js';
import { requestUserErasure, type ErasureMode } from '../domains/erasure/erasures.js';
import { createSqlPool, type SqlPool } from '../lib/infra/db.js';
import { newId } from '../lib/infra/ids.js';
import { createS3 } from '../lib/infra/s3.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { createUser } from '../lib/tenancy/users.js';
import { Environment, type BenchEnv } from './lib/env.js';
import { loadAverage, runBench } from './lib/run-bench.js';
import { seedMediaObjects, seedMediaRows, seedMessages, type MediaObject, type RoomShape, type SeededCounts } from './lib/export-room.js';
import { HeapWatch, type HeapFigure } from './lib/heap-watch.js';
import { wholeNumberOptions } from './lib/options.js';
import { RssWatch, type RssFigures } from './lib/rss.js';
import { fmt, table } from './lib/stats.js';
import { WavePoster } from './lib/wave-poster.js';

// GDPR erasure of a user with a big history (issue 21), end to end: messages
// (with revisions and reactions) and media seeded straight into MariaDB and S3
// under one user, erased by the erasure workflow on the worker as its own
// process (domains/erasure/workflows.ts), awaited to the end. Figures: wall
// time, rows/s and media MB/s, the time each store took (from the receipts'
// times), and the worker's resident memory before and at its peak, for a small
// user and a big one with the same media, to show memory does not grow with the
// history. Baseline from the same run: a second user seeded the same way, whose
// rows go by plain DELETE statements and whose objects by DeleteObjects, with
// no receipts, events, index or proof.
//
//   npm run bench:erasure -- [--messages 100000] [--small-messages 10000] [--media-files 100] [--media-mb 1000]   (--help lists all)
//
// Needs what `npm test` needs. Figures and findings: bench/README.md.

const opt = wholeNumberOptions('bench/erasure.ts', {
  messages: { default: 100_000, help: "messages of the big user (each a user's own, in one room)" },
  'small-messages': { default: 10_000, help: 'messages of the small user (same media), to show memory does not grow with the history' },
  'media-files': { default: 100, help: 'media files each user uploaded' },
  'media-mb': { default: 1000, help: "MB of each user's media, split evenly over the files (random bytes)" },
  delete: { default: 1, help: '1: mode `delete` (rows go, as the baseline DELETE does); 0: mode `redact` (tombstones)' },
  seed: { default: 21, help: 'seed of the synthetic messages' },
  'sample-ms': { default: 50, help: "how often the worker's RSS is sampled" },
  'heap-ms': { default: 1000, help: "how often the worker's /metrics is read for its heap" },
  'worker-heap-mb': { default: 384, help: "the worker's V8 heap limit, MiB, as a deployment's memory limit sets it (0: Node's default, from this machine's 24 GiB)" },
  'max-minutes': { default: 60, help: 'how long one erasure may take before the bench gives up' },
});

const MB = 1e6;
const MiB = 1024 * 1024;
const mode: ErasureMode = opt.delete === 1 ? 'delete' : 'redact';

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const load = loadAverage;
const seconds = (ms: number): string => `${fmt(ms / 1000, 1)} s`;
const perSecond = (n: number, ms: number): string => (ms > 0 ? fmt(n / (ms / 1000), 0) : 'n/a');
// Each user's media, twice over for the baseline user, with room to spare.
const environment = new Environment({ logLevel: 'warn', roles: ['admin'], say, s3CapacityMB: 4 * opt['media-mb'] + 1024, workerHeapMB: opt['worker-heap-mb'] || undefined });

interface Subject {
  label: string;
  userId: string;
  shape: RoomShape;
  seeded: SeededCounts;
  media: MediaObject[];
}

interface ErasureRun {
  subject: Subject;
  wallMs: number;
  /** rows removed or rewritten, and objects deleted, as the receipts count them */
  removed: Record<string, number>;
  /** per store: ms from the previous store's last receipt to its own last */
  storeMs: [string, number][];
  rss: RssFigures;
  /** the worker's V8 heap and external memory, highest reading over the erasure */
  heap: Record<HeapFigure, number>;
  loadAtStart: string;
}

interface Baseline {
  rows: number;
  deleteMs: number;
  objects: number;
  s3Ms: number;
}

interface Ctx {
  env: BenchEnv;
  sql: SqlPool;
  s3: S3Client;
  bucket: string;
  workerPgid: number;
}

/** A user of their own, with `messages` of theirs in a room of their own, and the media objects they uploaded. */
async function seedSubject(ctx: Ctx, label: string, roomId: string, messages: number, fileBytes: number): Promise<Subject> {
  const { env } = ctx;
  const db = env.api.deps.db;
  const user = await createUser(db, { tenantId: env.tenant.tenant.id, subject: `bench-erased-${label.replace(/\W+/g, '-')}-${env.runId}`, email: `${newId()}@bench.test`, roles: ['member'] });
  const shape: RoomShape = { tenantId: env.tenant.tenant.id, roomId, userIds: [user.id], messages, seed: opt.seed, endsAt: new Date(Date.now() - 60_000) };
  const t0 = performance.now();
  const media = await seedMediaObjects(ctx.s3, ctx.bucket, env.tenant.tenant.id, opt['media-files'], fileBytes);
  const seeded = await seedMessages(ctx.sql, shape);
  await seedMediaRows(ctx.sql, shape, media);
  await db.waveRoom.update({ where: { id: roomId }, data: { lastSeq: BigInt(seeded.messages) } });
  say(`  ${label}: ${fmt(seeded.messages, 0)} messages, ${fmt(seeded.revisions, 0)} revisions, ${fmt(seeded.reactions, 0)} reactions, ${media.length} media objects (${seconds(performance.now() - t0)})`);
  return { label, userId: user.id, shape, seeded, media };
}

/** Requests the erasure as a compliance officer would, starts it, awaits the workflow's end. */
async function runErasure(ctx: Ctx, subject: Subject): Promise<ErasureRun> {
  const { env } = ctx;
  const db = env.api.deps.db;
  const loadNow = load();
  const watch = new RssWatch(ctx.workerPgid, opt['sample-ms']);
  const heapWatch = new HeapWatch(`${env.workerUrl}/metrics`, opt['heap-ms']);
  const from = Date.now();
  const t0 = performance.now();
  const e = await requestUserErasure(db, { tenantId: env.tenant.tenant.id, userId: env.tenant.user.id }, { userId: subject.userId }, mode);
  await startUserErasure({ temporal: env.api.deps.temporal, config: env.config }, e);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      env.api.deps.temporal.workflow.getHandle(workflowIds.eraseUser(subject.userId)).result(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`erasure of the ${subject.label} not done after ${opt['max-minutes']} minutes`)), opt['max-minutes'] * 60_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  const wallMs = performance.now() - t0;
  const rss = watch.stop();
  const heap = heapWatch.stop()(from, Date.now());
  const receipts = await db.waveUserErasureReceipt.findMany({ where: { erasureId: e.id }, orderBy: [{ recordedAt: 'asc' }, { batch: 'asc' }] });
  const removed: Record<string, number> = {};
  const lastAt = new Map<string, number>();
  for (const r of receipts) {
    removed[r.store] = (removed[r.store] ?? 0) + r.removed;
    lastAt.set(r.store, r.recordedAt.getTime());
  }
  let previous = e.requestedAt.getTime();
  const storeMs: [string, number][] = [];
  for (const [store, at] of lastAt) {
    storeMs.push([store, at - previous]);
    previous = at;
  }
  const left = await db.waveMessage.count({ where: { roomId: subject.shape.roomId, authorId: subject.userId } });
  if (left !== 0) throw new Error(`${subject.label}: ${left} messages still name the user`);
  return { subject, wallMs, removed, storeMs, rss, heap, loadAtStart: loadNow };
}

/** The same rows and objects removed with nothing else: DELETE statements, DeleteObjects in thousands. */
async function plainDelete(ctx: Ctx, subject: Subject): Promise<Baseline> {
  const { userId, shape } = subject;
  const t0 = performance.now();
  const conn = await ctx.sql.getConnection();
  let rows = 0;
  try {
    const count = (r: unknown): number => (r as { affectedRows: number }).affectedRows;
    rows += count(await conn.query('DELETE FROM wave_reactions WHERE user_id = ?', [userId]));
    rows += count(await conn.query('DELETE r FROM wave_message_revisions r JOIN wave_messages m ON m.id = r.message_id WHERE m.room_id = ? AND m.author_id = ?', [shape.roomId, userId]));
    rows += count(await conn.query('DELETE FROM wave_messages WHERE room_id = ? AND author_id = ?', [shape.roomId, userId]));
    rows += count(await conn.query('DELETE FROM wave_media WHERE owner_id = ?', [userId]));
  } finally {
    conn.release();
  }
  const deleteMs = performance.now() - t0;
  const t1 = performance.now();
  for (let i = 0; i < subject.media.length; i += 1000) {
    const keys = subject.media.slice(i, i + 1000).map((m) => ({ Key: m.objectKey }));
    await ctx.s3.send(new DeleteObjectsCommand({ Bucket: ctx.bucket, Delete: { Objects: keys, Quiet: true } }));
  }
  return { rows, deleteMs, objects: subject.media.length, s3Ms: performance.now() - t1 };
}

/** Rows naming the user that the erasure removes or rewrites: their messages, revisions, reactions and media rows, as seeded (the baseline deletes the same). */
const rowsOf = (s: Subject): number => s.seeded.messages + s.seeded.revisions + s.seeded.reactions + s.media.length;

function report(runs: ErasureRun[], baseline: Baseline, baselineSubject: Subject): void {
  const col = (f: (r: ErasureRun) => string): string[] => runs.map(f);
  const mediaMB = (s: Subject): number => s.media.reduce((n, m) => n + m.bytes, 0) / MB;
  const heapLimit = opt['worker-heap-mb'] ? `a ${opt['worker-heap-mb']} MiB heap limit` : "Node's default heap limit";
  say(`\nuser erasure (mode ${mode}), worker as its own process with ${heapLimit}, ${os.cpus().length} cores (shared machine); MB = 10^6 bytes, RSS in MiB`);
  say(
    table([
      ['figure', ...col((r) => `${r.subject.label} (${fmt(r.subject.seeded.messages, 0)} messages)`), `baseline: plain DELETE (${fmt(baselineSubject.seeded.messages, 0)} messages)`],
      ["load average (1/5/15 min) at the erasure's start", ...col((r) => r.loadAtStart), ''],
      ['wall time (request → workflow result)', ...col((r) => seconds(r.wallMs)), `${seconds(baseline.deleteMs + baseline.s3Ms)} (DELETE ${seconds(baseline.deleteMs)}, S3 ${seconds(baseline.s3Ms)})`],
      ['rows naming the user (messages, revisions, reactions, media) / rows deleted', ...col((r) => fmt(rowsOf(r.subject), 0)), fmt(baseline.rows, 0)],
      ['rows/s, whole erasure / DELETE statements', ...col((r) => perSecond(rowsOf(r.subject), r.wallMs)), perSecond(baseline.rows, baseline.deleteMs)],
      ['messages/s, messages store', ...col((r) => perSecond(r.removed.messages ?? 0, r.storeMs.find(([s]) => s === 'messages')?.[1] ?? 0)), ''],
      ['media: objects, MB, MB/s (media store / DeleteObjects)', ...col((r) => `${r.removed.media ?? 0}, ${fmt(mediaMB(r.subject), 0)} MB, ${fmt(mediaMB(r.subject) / ((r.storeMs.find(([s]) => s === 'media')?.[1] ?? 0) / 1000), 0)} MB/s`), `${baseline.objects}, ${fmt(mediaMB(baselineSubject), 0)} MB, ${fmt(mediaMB(baselineSubject) / (baseline.s3Ms / 1000), 0)} MB/s`],
      ...runs[0]!.storeMs.map(([store]) => [`  ${store} store`, ...col((r) => seconds(r.storeMs.find(([s]) => s === store)?.[1] ?? 0)), '']),
      ['worker RSS before the erasure', ...col((r) => fmt(r.rss.before, 0)), ''],
      ['worker RSS peak during it: sampled / kernel VmHWM', ...col((r) => `${fmt(r.rss.peakSampled, 0)} / ${fmt(r.rss.peakKernel, 0)} (${r.rss.timeline.length} samples)`), ''],
      ['worker RSS growth (VmHWM − before)', ...col((r) => fmt(r.rss.peakKernel - r.rss.before, 0)), ''],
      ['worker RSS after', ...col((r) => fmt(r.rss.after, 0)), ''],
      ['worker heap used / heap total / external, highest (MiB)', ...col((r) => `${fmt(r.heap.heapUsed, 0)} / ${fmt(r.heap.heapTotal, 0)} / ${fmt(r.heap.external, 0)}`), ''],
      ['worker heap live after a full collection, highest (MiB)', ...col((r) => fmt(r.heap.liveAfterGc, 0)), ''],
    ]),
  );
  const growth = runs.map((r) => r.rss.peakKernel - r.rss.before);
  say(`RSS growth, small → big user: ${growth.map((g) => fmt(g, 0)).join(' → ')} MiB (flat if the big user's is not larger by about its share of the history)`);
}

async function main(env: BenchEnv): Promise<void> {
  const workerPgid = environment.processGroups().worker;
  if (workerPgid === undefined) throw new Error('no worker process');
  const ctx: Ctx = { env, sql: createSqlPool(env.config.db, 2), s3: createS3(env.config), bucket: env.config.env.SCAIWAVE_S3_BUCKET, workerPgid };
  try {
    const fileBytes = Math.max(1, Math.floor((opt['media-mb'] * MB) / opt['media-files']));
    say(`\n==> seeding (load ${load()}); media files of ${fmt(fileBytes / MiB, 2)} MiB`);
    const [warmRoom, smallRoom, bigRoom, twinRoom] = (await WavePoster.create(env.api.url, env.tenant.apiKey.key, 4)).roomIds as [string, string, string, string];
    const warm = await seedSubject(ctx, 'warm-up user', warmRoom, 100, 1024);
    const subjects = [await seedSubject(ctx, 'small user', smallRoom, opt['small-messages'], fileBytes), await seedSubject(ctx, 'big user', bigRoom, opt.messages, fileBytes)];
    const twin = await seedSubject(ctx, 'baseline user', twinRoom, opt.messages, fileBytes);

    say(`==> warm-up erasure (${warm.seeded.messages} messages), not counted: the worker loads the erasure's code paths (load ${load()})`);
    await runErasure(ctx, warm);
    const runs: ErasureRun[] = [];
    for (const subject of subjects) {
      say(`==> erasure of the ${subject.label} (load ${load()})`);
      runs.push(await runErasure(ctx, subject));
    }
    say(`==> baseline: the baseline user's rows by plain DELETE, objects by DeleteObjects (load ${load()})`);
    report(runs, await plainDelete(ctx, twin), twin);
  } finally {
    await ctx.sql.end();
    ctx.s3.destroy();
  }
}

await runBench(environment, say, `erasure bench: a big user of ${fmt(opt.messages, 0)} messages and a small one of ${fmt(opt['small-messages'], 0)}, each with ${opt['media-files']} media files, ${fmt(opt['media-mb'], 0)} MB in all`, main);
