import {
  ActivityFailure,
  continueAsNew,
  defineQuery,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { WaveImportActivities } from '../activities/import.js';
import { reindexStart } from '../../search/client.js';
import { failureReason } from '../../../lib/temporal/failures.js';
import { JobStatusKey } from '../../../lib/temporal/search-attributes.js';
import { mediaScanStart } from '../../wave/client.js';
import { bookkeeping } from '../../../lib/temporal/activity-options.js';
import { waveMediaScanWorkflow } from '../../wave/workflows.js';
import { waveSearchReindexWorkflow } from '../../search/workflows/reindex.js';

// `wave-room-import-{importId}`: verify the whole bundle → restore the room and
// its members → its messages, a chunk at a time → its media, a few files at a
// time, each then scanned by this deployment → a search reindex of the room.
// Nothing is written before the bundle is verified; a refused bundle leaves
// its problems on the import row. Every step is idempotent (the rows' ids are
// derived, domains/export/import-ids.ts), so a step repeated after a worker died
// writes nothing twice, and where the import stands lives in this history.
// Ids only here: the bundle's files, their names and their text stay in S3
// and MariaDB.

export interface ImportInput {
  importId: string;
  /** carried over by continue-as-new */
  progress?: ImportProgress;
}

export interface ImportProgress {
  phase: 'verifying' | 'room' | 'messages' | 'media' | 'finishing' | 'completed' | 'refused' | 'failed';
  /** known once verified */
  tenantId: string | null;
  tenantSlug: string | null;
  roomId: string | null;
  /** the bundle's message chunks, and how many are restored */
  chunks: number;
  chunksDone: number;
  messagesAdded: number;
  messagesUpdated: number;
  /** the next line of media.jsonl to restore; null once all are */
  mediaNext: number | null;
  mediaDone: number;
}

export interface ImportOutcome {
  status: 'completed' | 'refused';
  /** the room restored into; null when refused */
  roomId: string | null;
}

export const importProgressQuery = defineQuery<ImportProgress>('progress');

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' };
// One pass over the whole bundle: as long as reading it takes, alive as long as bytes arrive.
const verify = proxyActivities<WaveImportActivities>({ startToCloseTimeout: '12 hours', heartbeatTimeout: '1 minute', retry });
// A message chunk or a few media files: bounded work that heartbeats its position.
const restore = proxyActivities<WaveImportActivities>({ startToCloseTimeout: '1 hour', heartbeatTimeout: '1 minute', retry });
const books = proxyActivities<WaveImportActivities>(bookkeeping());

/** Starts a child that outlives this run; one already started (by an earlier attempt or anyone else) is left to run. */
async function startAbandoned(start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

async function restoreAll(input: ImportInput, p: ImportProgress): Promise<ImportOutcome> {
  const { importId } = input;
  if (p.phase === 'verifying') {
    const verdict = await verify.verifyImportBundle(importId);
    if (!verdict.accepted) {
      p.phase = 'refused';
      await books.discardImportBundle(importId);
      upsertSearchAttributes([{ key: JobStatusKey, value: 'refused' }]);
      return { status: 'refused', roomId: null };
    }
    Object.assign(p, { phase: 'room', tenantId: verdict.tenantId, tenantSlug: verdict.tenantSlug, roomId: verdict.roomId, chunks: verdict.chunks });
  }
  const tenant = { tenantId: p.tenantId!, tenantSlug: p.tenantSlug! };
  if (p.phase === 'room') {
    await restore.restoreImportRoom(importId);
    p.phase = 'messages';
  }
  for (; p.phase === 'messages' && p.chunksDone < p.chunks; p.chunksDone++) {
    if (workflowInfo().continueAsNewSuggested) return continueAsNew<typeof waveRoomImportWorkflow>({ importId, progress: p });
    const done = await restore.restoreImportMessages({ importId, chunk: p.chunksDone });
    p.messagesAdded += done.added;
    p.messagesUpdated += done.updated;
  }
  if (p.phase === 'messages') p.phase = 'media';
  while (p.phase === 'media' && p.mediaNext !== null) {
    if (workflowInfo().continueAsNewSuggested) return continueAsNew<typeof waveRoomImportWorkflow>({ importId, progress: p });
    const done = await restore.restoreImportMedia({ importId, from: p.mediaNext });
    await Promise.all(
      done.scan.map((mediaId) =>
        startAbandoned(() => startChild(waveMediaScanWorkflow, { ...mediaScanStart(tenant, mediaId), parentClosePolicy: ParentClosePolicy.ABANDON })),
      ),
    );
    p.mediaDone += done.lines;
    p.mediaNext = done.next;
  }
  p.phase = 'finishing';
  // Searchable once the reindex has been through the room; the import does not wait for it.
  await startAbandoned(() =>
    startChild(waveSearchReindexWorkflow, { ...reindexStart({ tenantId: tenant.tenantId, roomId: p.roomId! }), parentClosePolicy: ParentClosePolicy.ABANDON }),
  );
  await books.finishImport(importId);
  await books.discardImportBundle(importId);
  p.phase = 'completed';
  upsertSearchAttributes([{ key: JobStatusKey, value: 'completed' }]);
  return { status: 'completed', roomId: p.roomId };
}

export async function waveRoomImportWorkflow(input: ImportInput): Promise<ImportOutcome> {
  const progress: ImportProgress = input.progress ?? {
    phase: 'verifying',
    tenantId: null,
    tenantSlug: null,
    roomId: null,
    chunks: 0,
    chunksDone: 0,
    messagesAdded: 0,
    messagesUpdated: 0,
    mediaNext: 0,
    mediaDone: 0,
  };
  setHandler(importProgressQuery, () => progress);
  try {
    return await restoreAll(input, progress);
  } catch (err) {
    // A step that failed for good (the bundle's layout, a sequence number taken here): the import says why.
    if (!(err instanceof ActivityFailure)) throw err;
    progress.phase = 'failed';
    await books.failImport({ importId: input.importId, reason: failureReason(err) });
    upsertSearchAttributes([{ key: JobStatusKey, value: 'failed' }]);
    throw err;
  }
}
