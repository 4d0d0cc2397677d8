import { createHash } from 'node:crypto';
import os from 'node:os';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SECTION } from '../domains/export/export-files.js';
import { createSqlPool, type SqlPool } from '../lib/infra/db.js';
import { createS3 } from '../lib/infra/s3.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { createUser } from '../lib/tenancy/users.js';
import { cpuSpent, readCpu } from './lib/cpu.js';
import { Environment, type BenchEnv } from './lib/env.js';
import { loadAverage, runBench } from './lib/run-bench.js';
import { selectAndGzip, type BaselineFigures } from './lib/export-baseline.js';
import { EXPORT_PHASES, exportPhases, type ExportPhase, type PhaseTimes } from './lib/export-phases.js';
import { HeapWatch, type HeapFigure } from './lib/heap-watch.js';
import { seedMediaObjects, seedMediaRows, seedMessages, type MediaObject, type RoomShape, type SeededCounts } from './lib/export-room.js';
import { wholeNumberOptions } from './lib/options.js';
import { peakBetween, RssWatch, type RssFigures } from './lib/rss.js';
import { fmt, table } from './lib/stats.js';
import { WavePoster } from './lib/wave-poster.js';

// Compliance export of a big room (issue 13), end to end: the room's messages
// (with edits, deletions, reactions, threads) and media seeded straight into
// MariaDB and S3, the export asked for through the API, run by the worker as
// its own process (domains/export/workflows/room-export.ts), awaited to the end. Figures:
//   - messages/s and MB/s, over the whole export and per phase (from the
//     workflow's history: messages staged, media hashed, index files, upload);
//   - the worker process's resident memory: before the export, and its peak
//     during it (sampled from /proc and the kernel's VmHWM);
// for a small room and a big one with the same media, to show memory does not
// grow with the room. Baselines from the same run, in this process: a plain
// SELECT of the same rows + gzip of them as JSON Lines, and reading + hashing
// the same media objects straight from S3.
//
//   npm run bench:export -- [--messages 100000] [--small-messages 10000] [--media-files 100] [--media-mb 1000]   (--help lists all)
//
// Needs what `npm test` needs. Issue 13's goals: ≥ 20k messages/s, peak RSS
// growth ≤ 256 MB whatever the room's size. Figures and findings: bench/README.md.

const opt = wholeNumberOptions('bench/export.ts', {
  messages: { default: 100_000, help: 'messages in the big room' },
  'small-messages': { default: 10_000, help: 'messages in the small room (same media), to show memory does not grow with the room' },
  'media-files': { default: 100, help: 'media files in each room (the same S3 objects for both rooms)' },
  'media-mb': { default: 1000, help: 'MB of media in each room, split evenly over the files (random bytes)' },
  users: { default: 20, help: 'posters in the rooms (authors, editors, reactors)' },
  seed: { default: 13, help: 'seed of the synthetic messages' },
  'sample-ms': { default: 50, help: "how often the worker's RSS is sampled" },
  'heap-ms': { default: 1000, help: "how often the worker's /metrics is read for its heap" },
  'max-minutes': { default: 30, help: 'how long one export may take before the bench gives up' },
});

const GOAL_MESSAGES_PER_S = 20_000;
const GOAL_RSS_GROWTH_MB = 256;
const MB = 1e6;
const MiB = 1024 * 1024;
const DAEMONS = ['mariadbd'];

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const load = loadAverage;
const seconds = (ms: number): string => `${fmt(ms / 1000, 1)} s`;
// The media once, then each room's bundle (the media again) as multipart parts, with room to spare.
const environment = new Environment({ logLevel: 'warn', roles: ['admin'], say, s3CapacityMB: 4 * opt['media-mb'] + 1024 });

interface Room {
  label: string;
  shape: RoomShape;
  seeded: SeededCounts;
}

interface ExportRun {
  room: Room;
  exportId: string;
  /** POST → workflow result, as the client saw it */
  wallMs: number;
  phases: PhaseTimes;
  rss: RssFigures;
  /** the worker's V8 heap and external memory, highest reading in [from, to] */
  heap: (from: number, to: number) => Record<HeapFigure, number>;
  cpu: [string, number][];
  bundleBytes: number;
  stagedMessageBytes: number;
  mediaBytes: number;
  messagesExported: number;
  baseline: BaselineFigures;
  loadAtStart: string;
}

interface Ctx {
  env: BenchEnv;
  sql: SqlPool;
  s3: S3Client;
  poster: WavePoster;
  workerPgid: number;
}

async function makeRoom(ctx: Ctx, label: string, roomId: string, userIds: string[], messages: number, media: MediaObject[]): Promise<Room> {
  const shape: RoomShape = { tenantId: ctx.env.tenant.tenant.id, roomId, userIds, messages, seed: opt.seed, endsAt: new Date(Date.now() - 60_000) };
  const t0 = performance.now();
  const seeded = await seedMessages(ctx.sql, shape);
  await seedMediaRows(ctx.sql, shape, media);
  say(`  ${label}: ${fmt(seeded.messages, 0)} messages, ${fmt(seeded.revisions, 0)} revisions, ${fmt(seeded.tombstones, 0)} tombstones, ${fmt(seeded.reactions, 0)} reactions, ${media.length} media rows (${seconds(performance.now() - t0)})`);
  return { label, shape, seeded };
}

/** Asks for the export through the API as a tenant admin, then awaits the workflow's end. */
async function runExport(ctx: Ctx, room: Room): Promise<ExportRun> {
  const { env } = ctx;
  const loadNow = load();
  const cpuBefore = readCpu(environment.processGroups(), DAEMONS);
  const watch = new RssWatch(ctx.workerPgid, opt['sample-ms']);
  const heapWatch = new HeapWatch(`${env.workerUrl}/metrics`, opt['heap-ms']);
  const t0 = performance.now();
  const res = await fetch(`${env.api.url}/v1/wave/rooms/${room.shape.roomId}/exports`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${env.tenant.apiKey.key}`, 'Content-Type': 'application/json' },
    body: '{}',
  });
  const answer = (await res.json()) as { data?: { id: string } };
  if (res.status !== 202 || !answer.data) {
    watch.stop();
    heapWatch.stop();
    throw new Error(`POST exports answered ${res.status}: ${JSON.stringify(answer)}`);
  }
  const exportId = answer.data.id;
  const handle = env.api.deps.temporal.workflow.getHandle(workflowIds.waveRoomExport(exportId));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      handle.result(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`export ${exportId} of the ${room.label} not done after ${opt['max-minutes']} minutes`)), opt['max-minutes'] * 60_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  const wallMs = performance.now() - t0;
  const rss = watch.stop();
  const heap = heapWatch.stop();
  const cpu = cpuSpent(cpuBefore, readCpu(environment.processGroups(), DAEMONS));

  const db = env.api.deps.db;
  const row = await db.waveExport.findUniqueOrThrow({ where: { id: exportId } });
  if (row.status !== 'completed') throw new Error(`export ${exportId}: ${row.status} ${row.error ?? ''}`);
  const sums = await db.waveExportFile.groupBy({ by: ['section'], where: { exportId }, _sum: { bytes: true, messages: true } });
  const of = (section: number) => sums.find((s) => s.section === section)?._sum;
  const baseline = await selectAndGzip(ctx.sql, room.shape.tenantId, room.shape.roomId, row.until);
  return {
    room,
    exportId,
    wallMs,
    phases: await exportPhases(env.api.deps.temporal, exportId),
    rss,
    heap,
    cpu,
    bundleBytes: Number(row.bundleBytes ?? 0n),
    stagedMessageBytes: Number(of(SECTION.messages)?.bytes ?? 0n),
    mediaBytes: Number(of(SECTION.media)?.bytes ?? 0n),
    messagesExported: of(SECTION.messages)?.messages ?? 0,
    baseline,
    loadAtStart: loadNow,
  };
}

/** Baseline for the media phase: each object read from S3 and hashed in this process, one after the other as the export does. */
async function readAndHash(s3: S3Client, bucket: string, media: MediaObject[]): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  let bytes = 0;
  for (const m of media) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: m.objectKey }));
    const hash = createHash('sha256');
    for await (const chunk of object.Body as Readable) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    if (hash.digest('hex') !== m.sha256) throw new Error(`${m.objectKey}: not the bytes seeded`);
  }
  return { ms: performance.now() - t0, bytes };
}

/** Growth of the sampled RSS over the export's start, and the worker's own heap figures, at their peaks within one phase. */
function phaseMemory(r: ExportRun, phase: ExportPhase): string {
  const span = r.phases.spans[phase];
  if (!span) return 'n/a';
  const heap = r.heap(span.from, span.to);
  return `+${fmt(peakBetween(r.rss.timeline, span.from, span.to) - r.rss.before, 0)}; ${fmt(heap.heapUsed, 0)} / ${fmt(heap.heapTotal, 0)} / ${fmt(heap.external, 0)}`;
}

const perSecond = (n: number, ms: number): string => (ms > 0 ? fmt(n / (ms / 1000), 0) : 'n/a');
const mbPerSecond = (bytes: number, ms: number): string => (ms > 0 ? `${fmt(bytes / MB / (ms / 1000), 1)} MB/s` : 'n/a');

function report(runs: ExportRun[], media: { ms: number; bytes: number }): void {
  const col = (f: (r: ExportRun) => string): string[] => runs.map(f);
  say(`\nroom export, worker as its own process, ${os.cpus().length} cores (shared machine); MB = 10^6 bytes, RSS in MiB`);
  say(
    table([
      ['figure', ...col((r) => `${r.room.label} (${fmt(r.room.seeded.messages, 0)} messages)`)],
      ['load average (1/5/15 min) at the export\'s start', ...col((r) => r.loadAtStart)],
      ['export wall time (POST → workflow result)', ...col((r) => seconds(r.wallMs))],
      ['messages/s, whole export', ...col((r) => perSecond(r.messagesExported, r.wallMs))],
      ['messages/s, messages phase (staging the chunks)', ...col((r) => `${perSecond(r.messagesExported, r.phases.phaseMs.messages)} (${seconds(r.phases.phaseMs.messages)})`)],
      ['  baseline: plain SELECT + JSON Lines + gzip, in-process', ...col((r) => `${perSecond(r.baseline.messages, r.baseline.selectMs + r.baseline.gzipMs)} (select ${seconds(r.baseline.selectMs)}, gzip ${seconds(r.baseline.gzipMs)})`)],
      ['bundle MB/s, whole export (bundle bytes / wall time)', ...col((r) => `${mbPerSecond(r.bundleBytes, r.wallMs)} (${fmt(r.bundleBytes / MB, 1)} MB)`)],
      ['  messages phase: staged chunk MB/s', ...col((r) => `${mbPerSecond(r.stagedMessageBytes, r.phases.phaseMs.messages)} (${fmt(r.stagedMessageBytes / MB, 1)} MB gzip'd; baseline ${fmt(r.baseline.gzipBytes / MB, 1)} MB)`)],
      ['  media phase: media hashed MB/s', ...col((r) => `${mbPerSecond(r.mediaBytes, r.phases.phaseMs.media)} (${seconds(r.phases.phaseMs.media)})`)],
      ['    baseline: GetObject + sha256, in-process, one at a time', ...col(() => mbPerSecond(media.bytes, media.ms))],
      ['  index files phase', ...col((r) => seconds(r.phases.phaseMs.index))],
      ['  upload phase: bundle MB/s (parts made from S3 ranges, uploaded)', ...col((r) => `${mbPerSecond(r.bundleBytes, r.phases.phaseMs.upload)} (${seconds(r.phases.phaseMs.upload)})`)],
      ['worker RSS before the export', ...col((r) => fmt(r.rss.before, 0))],
      ['worker RSS peak during it: sampled / kernel VmHWM', ...col((r) => `${fmt(r.rss.peakSampled, 0)} / ${fmt(r.rss.peakKernel, 0)} (${r.rss.timeline.length} samples)`)],
      ['worker RSS growth (VmHWM − before)', ...col((r) => fmt(r.rss.peakKernel - r.rss.before, 0))],
      ['worker RSS after', ...col((r) => fmt(r.rss.after, 0))],
      ...(Object.keys(EXPORT_PHASES) as ExportPhase[]).map((phase) => [
        `  ${phase} phase: RSS growth at its sampled peak; heap used / heap total / external at peak`,
        ...col((r) => phaseMemory(r, phase)),
      ]),
      ['retried activity attempts', ...col((r) => String(r.phases.retries))],
    ]),
  );
  for (const r of runs) {
    const named = r.cpu.map(([name, sec]) => `${name === 'self' ? 'API + bench' : name === 'other' ? 'rest of the machine' : name} ${fmt(sec, 1)}`);
    say(`CPU seconds during the ${r.room.label}'s export (${seconds(r.wallMs)} × ${os.cpus().length} cores): ${named.join(', ')}`);
  }
  const big = runs.at(-1)!;
  const rate = big.messagesExported / (big.phases.phaseMs.messages / 1000);
  const growth = Math.max(...runs.map((r) => r.rss.peakKernel - r.rss.before));
  say(`goal (issue 13): ≥ ${fmt(GOAL_MESSAGES_PER_S, 0)} messages/s (messages phase, ${big.room.label}) — ${rate >= GOAL_MESSAGES_PER_S ? 'met' : 'NOT met'} (${fmt(rate, 0)})`);
  say(`goal (issue 13): peak RSS growth ≤ ${GOAL_RSS_GROWTH_MB} MiB whatever the room's size — ${growth <= GOAL_RSS_GROWTH_MB ? 'met' : 'NOT met'} (largest ${fmt(growth, 0)} MiB)`);
}

async function main(env: BenchEnv): Promise<void> {
  const workerPgid = environment.processGroups().worker;
  if (workerPgid === undefined) throw new Error('no worker process');
  const ctx: Ctx = { env, sql: createSqlPool(env.config.db, 2), s3: createS3(env.config), poster: await WavePoster.create(env.api.url, env.tenant.apiKey.key, 3), workerPgid };
  try {
    const users = [env.tenant.user.id];
    for (let u = 1; u < opt.users; u++) users.push((await createUser(env.api.deps.db, { tenantId: env.tenant.tenant.id, subject: `bench-poster-${u}-${env.runId}`, roles: ['member'] })).id);
    const fileBytes = Math.max(1, Math.floor((opt['media-mb'] * MB) / opt['media-files']));
    say(`\n==> seeding (load ${load()})`);
    const t0 = performance.now();
    const media = await seedMediaObjects(ctx.s3, env.config.env.SCAIWAVE_S3_BUCKET, env.tenant.tenant.id, opt['media-files'], fileBytes);
    say(`  ${media.length} media objects of ${fmt(fileBytes / MiB, 2)} MiB put into S3 (${seconds(performance.now() - t0)})`);
    const [warmId, smallId, bigId] = ctx.poster.roomIds as [string, string, string];
    const warm = await makeRoom(ctx, 'warm-up room', warmId, users, 100, media.slice(0, 1));
    const rooms = [await makeRoom(ctx, 'small room', smallId, users, opt['small-messages'], media), await makeRoom(ctx, 'big room', bigId, users, opt.messages, media)];

    say(`==> warm-up export (${warm.seeded.messages} messages, 1 media file), not counted: the worker loads the export's code paths (load ${load()})`);
    await runExport(ctx, warm);
    const runs: ExportRun[] = [];
    for (const room of rooms) {
      say(`==> export of the ${room.label} (load ${load()})`);
      runs.push(await runExport(ctx, room));
      if (runs.at(-1)!.messagesExported !== room.seeded.messages) throw new Error(`${room.label}: exported ${runs.at(-1)!.messagesExported} of ${room.seeded.messages} messages`);
    }
    say(`==> baseline: the ${media.length} media objects read and hashed from this process (load ${load()})`);
    const mediaBaseline = await readAndHash(ctx.s3, env.config.env.SCAIWAVE_S3_BUCKET, media);
    report(runs, mediaBaseline);
  } finally {
    await ctx.sql.end();
    ctx.s3.destroy();
  }
}

await runBench(environment, say, `export bench: a big room of ${fmt(opt.messages, 0)} messages and a small one of ${fmt(opt['small-messages'], 0)}, each with ${opt['media-files']} media files, ${fmt(opt['media-mb'], 0)} MB in all`, main);
