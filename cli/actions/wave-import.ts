import fs from 'node:fs';
import os from 'node:os';
import { WorkflowFailedError } from '@temporalio/client';
import type { Problem } from '../../domains/export/import-checks.js';
import { findImport, importWorkspace, receiveBundle } from '../../domains/export/imports.js';
import { trustedImportKeys } from '../../domains/export/import-trust.js';
import { startImport } from '../../domains/export/client.js';
import type { WaveImport } from '../../lib/generated/prisma/client.js';
import type { Db } from '../../lib/infra/db.js';
import { createLogger } from '../../lib/infra/logger.js';
import { createS3 } from '../../lib/infra/s3.js';
import { importProgressQuery, type ImportProgress } from '../../domains/export/workflows/room-import.js';
import { withDb, withTemporal } from '../connections.js';
import { CliError, EXIT, notFound, print, printJson } from '../support.js';

// What `scaiwave room import` does (arguments and help: commands/wave.ts): sends
// the bundle to S3 as the API would (domains/export/imports.ts), starts or finds its
// import, draws its progress on stderr while it runs, and prints the outcome.
// A refused bundle exits 6 naming its files, as `scaiwave export verify` does.

const PROGRESS_EVERY_MS = 500;
const NAMED_ON_STDERR = 10;
const n = (v: number): string => v.toLocaleString('en-US');

interface Options {
  tenant?: string;
  json?: boolean;
  allowUnsigned?: boolean;
}

/** `verifying…`, `messages 3/10 chunks, 2,400 added`, `media 5 files`: one line, redrawn in place on a terminal. */
function importProgressLine(p: ImportProgress): string {
  switch (p.phase) {
    case 'messages':
      return `messages: ${n(p.chunksDone)}/${n(p.chunks)} chunks, ${n(p.messagesAdded)} added, ${n(p.messagesUpdated)} updated`;
    case 'media':
      return `media: ${n(p.mediaDone)} files, after ${n(p.messagesAdded)} messages added`;
    default:
      return `${p.phase}…`;
  }
}

async function workspaceOf(db: Db, ref: string, tenantSlug: string | undefined) {
  const tenant = tenantSlug ? await db.tenant.findUnique({ where: { slug: tenantSlug } }) : null;
  if (tenantSlug && !tenant) throw notFound(`tenant "${tenantSlug}" not found`);
  const ws = await db.waveWorkspace.findFirst({
    where: tenant ? { tenantId: tenant.id, OR: [{ id: ref }, { slug: ref }] } : { id: ref },
    include: { tenant: { select: { slug: true } } },
  });
  if (!ws) throw notFound(tenant ? `workspace "${ref}" not found in tenant "${tenantSlug}"` : `workspace "${ref}" not found (give its id, or its slug with --tenant)`);
  await importWorkspace(db, ws.tenantId, ws.id);
  return ws;
}

function view(row: WaveImport) {
  return {
    id: row.id,
    status: row.status,
    workspace_id: row.workspaceId,
    room_id: row.status === 'completed' ? row.roomId : null,
    messages: { total: row.messagesTotal, added: row.messagesAdded, updated: row.messagesUpdated, renamed: row.messagesRenamed },
    members: row.members,
    placeholders: row.placeholders,
    media: { total: row.mediaTotal, added: row.mediaAdded, left_out: row.mediaLeftOut },
    signed: row.signed,
    problems: (row.problems as Problem[] | null) ?? null,
    error: row.error,
  };
}

async function follow(tenant: { tenantId: string; tenantSlug: string }, importId: string): Promise<void> {
  await withTemporal(async ({ client, config }) => {
    const handle = await startImport({ temporal: client, config }, tenant, importId);
    const tty = process.stderr.isTTY;
    const draw = async () => {
      const p = await handle.query(importProgressQuery).catch(() => undefined);
      if (p) process.stderr.write(tty ? `\r\x1b[2K${importProgressLine(p)}` : `${importProgressLine(p)}\n`);
    };
    const timer = setInterval(() => void draw(), PROGRESS_EVERY_MS);
    try {
      await handle.result();
    } catch (err) {
      // The import row says why; it is read and printed below.
      if (!(err instanceof WorkflowFailedError)) throw err;
    } finally {
      clearInterval(timer);
      if (tty) process.stderr.write('\n');
    }
  });
}

export async function importRoomCommand(workspaceRef: string, file: string, opts: Options): Promise<void> {
  const stats = await fs.promises.stat(file).catch(() => null);
  if (!stats?.isFile()) throw notFound(`${file}: no such file`);
  const received = await withDb(async ({ db, config }) => {
    const ws = await workspaceOf(db, workspaceRef, opts.tenant);
    const s3 = createS3(config);
    try {
      const deps = { db, s3, bucket: config.env.SCAIWAVE_S3_BUCKET, logger: createLogger('cli', 'warn') };
      const request = { tenantId: ws.tenantId, workspaceId: ws.id, requestedById: null };
      // An operator who named the tenant may bring in another tenant's bundle; either waiver is on the import row and in the audit log.
      const terms = {
        trusted: trustedImportKeys(config.env),
        waivers: { unsigned: opts.allowUnsigned === true, otherTenant: opts.tenant !== undefined },
        operator: `${os.userInfo().username}@${os.hostname()}`,
      };
      const { row, start } = await receiveBundle(deps, request, terms, fs.createReadStream(file), config.env.SCAIWAVE_IMPORT_MAX_BYTES);
      return { row, start, tenant: { tenantId: ws.tenantId, tenantSlug: ws.tenant.slug } };
    } finally {
      s3.destroy();
    }
  });
  // A settled import (the same bundle sent before) is shown as it is.
  if (received.start) await follow(received.tenant, received.row.id);
  const row = await withDb(({ db }) => findImport(db, received.tenant.tenantId, received.row.id));
  report(row, file, opts);
}

function report(row: WaveImport, file: string, opts: Options): void {
  const v = view(row);
  if (opts.json) printJson(v);
  else if (row.status === 'completed') {
    print(
      `Imported ${file} into room ${row.roomId} (import ${row.id}):`,
      `  messages: ${n(row.messagesTotal)} in the bundle, ${n(row.messagesAdded)} added, ${n(row.messagesUpdated)} updated, ${n(row.messagesRenamed)} given new ids`,
      `  members:  ${n(row.members)} (${n(row.placeholders)} placeholder users for subjects unknown here)`,
      `  media:    ${n(row.mediaAdded)} of ${n(row.mediaTotal)} added (${n(row.mediaLeftOut)} left out of the bundle), each scanned here before it is served`,
    );
  } else if (row.status === 'refused') {
    print(`The bundle was refused; nothing was imported (import ${row.id}). Problems:`, ...(v.problems ?? []).map((p) => `  ${p.file}${p.line ? `:${p.line}` : ''}: ${p.problem}`));
  } else {
    print(`Import ${row.id}: ${row.status}${row.error ? ` (${row.error})` : ''}`);
  }
  if (row.status === 'refused') {
    const named = [...new Set((v.problems ?? []).map((p) => p.file))];
    const list = named.length > NAMED_ON_STDERR ? `${named.slice(0, NAMED_ON_STDERR).join(', ')} and ${n(named.length - NAMED_ON_STDERR)} more` : named.join(', ');
    throw new CliError(EXIT.invalid, `${file} was refused: ${n(v.problems?.length ?? 0)} problem(s), in ${list}`);
  }
  if (row.status === 'failed') throw new CliError(EXIT.failure, `the import failed: ${row.error ?? 'unknown reason'}`);
}
