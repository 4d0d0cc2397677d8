import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { startRoomExport } from '../../domains/export/client.js';
import { requestExport } from '../../domains/export/exports.js';
import { verifyBundleFile } from '../../domains/export/verify.js';
import { createS3 } from '../../lib/infra/s3.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import { exportProgressQuery, type ExportProgress } from '../../domains/export/workflows/room-export.js';
import { withDb, withTemporal } from '../connections.js';
import { CliError, EXIT, notFound, print, printJson } from '../support.js';

// What `scaiwave room export` does (arguments and help: commands/wave.ts):
// asks for the export as an operator, watches the workflow with a progress bar
// on stderr, downloads the bundle from S3 and checks it as a recipient would
// (`scaiwave export verify`): a bundle that fails is reported, file by file.

const PROGRESS_EVERY_MS = 500;
const BAR = 30;
const MiB = 1024 * 1024;

const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

/** `[#########.....]  30%  messages 1,200/4,000  upload 0.0/12.5 MiB` */
function exportProgressLine(p: ExportProgress): string {
  const filled = Math.round((p.percent / 100) * BAR);
  const upload = p.bundleBytes === null ? '' : `  upload ${mib(p.uploadedBytes)}/${mib(p.bundleBytes)}`;
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${String(p.percent).padStart(3)}%  ${p.phase}  messages ${p.messagesDone.toLocaleString('en-US')}/${p.messagesTotal.toLocaleString('en-US')}${upload}`;
}

function parseTime(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new CliError(EXIT.usage, `--${name}: not a date or time (ISO 8601, e.g. 2026-12-01 or 2026-12-01T09:00:00Z)`);
  return at;
}

export async function roomExportCommand(roomId: string, opts: { since?: string; until?: string; out?: string; json?: boolean }): Promise<void> {
  const range = { since: parseTime('since', opts.since), until: parseTime('until', opts.until) };
  const e = await withDb(async ({ db }) => {
    const room = await db.waveRoom.findUnique({ where: { id: roomId }, select: { tenantId: true } });
    if (!room) throw notFound(`room "${roomId}" not found`);
    return requestExport(db, { tenantId: room.tenantId, kind: 'on_demand', userId: null }, roomId, range);
  });
  const out = opts.out ?? `room-${roomId}-${e.id}.tar`;
  const outcome = await withTemporal(async ({ client, config }) => {
    await startRoomExport({ temporal: client, config }, e);
    const handle = client.workflow.getHandle(workflowIds.waveRoomExport(e.id));
    const tty = process.stderr.isTTY;
    const draw = async () => {
      const p = await handle.query(exportProgressQuery).catch(() => undefined);
      if (p) process.stderr.write(tty ? `\r${exportProgressLine(p)}` : `${exportProgressLine(p)}\n`);
    };
    const timer = setInterval(() => void draw(), PROGRESS_EVERY_MS);
    try {
      const done: ExportProgress = await handle.result();
      process.stderr.write(`${tty ? '\r' : ''}${exportProgressLine(done)}\n`);
      return done;
    } finally {
      clearInterval(timer);
    }
  });
  await withDb(async ({ config }) => {
    const s3 = createS3(config);
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: config.env.SCAIWAVE_S3_BUCKET, Key: e.objectKey }));
      await pipeline(object.Body as Readable, fs.createWriteStream(out));
    } finally {
      s3.destroy();
    }
  });
  const check = await verifyBundleFile(out);
  if (!check.ok) {
    throw new CliError(EXIT.invalid, `the downloaded bundle ${out} fails verification:\n${check.problems.map((p) => `  ${p.path ?? '(archive)'}: ${p.message}`).join('\n')}`);
  }
  const verified = { files: check.files.length, signedBy: check.signer?.fingerprint ?? null, manifestSha256: check.manifest!.manifestSha256 };
  if (opts.json) return printJson({ exportId: e.id, roomId, file: out, bundleBytes: outcome.bundleBytes, messages: outcome.messagesDone, verified });
  print(
    `Exported room ${roomId} (export ${e.id}): ${outcome.messagesDone.toLocaleString('en-US')} messages, ${mib(outcome.bundleBytes ?? 0)} → ${out}`,
    `Verified: ${verified.files} files, manifest sha256 ${verified.manifestSha256}${verified.signedBy ? `, signed by key ${verified.signedBy}` : ', unsigned'}`,
  );
}
