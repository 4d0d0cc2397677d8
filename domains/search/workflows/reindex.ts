import { continueAsNew, defineQuery, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { WaveSearchActivities } from '../activities.js';
import { searchBatch } from '../../../lib/temporal/activity-options.js';
import { JobStatusKey } from '../../../lib/temporal/search-attributes.js';

// `wave-search-reindex-{tenantId}[-{roomId}]`: rebuilds the index from MariaDB,
// a page of messages at a time in id order. The cursor lives in this history,
// so a killed worker's run goes on from the last page done; a page done twice
// changes nothing. Live indexing goes on meanwhile: both write the message as
// MariaDB has it, and the index keeps the newer text of the two; messages
// deleted while it ran are removed again at the end.

export interface ReindexInput {
  tenantId: string;
  roomId?: string;
  /** carried over by continue-as-new */
  progress?: ReindexProgress;
}

export interface ReindexProgress {
  /** messages of the scope when the run began (deleted ones included) */
  total: number;
  done: number;
  indexed: number;
  removed: number;
  /** the last message id done: the next page starts after it */
  after: string | null;
  startedAt: number;
  finished: boolean;
}

export const reindexProgressQuery = defineQuery<ReindexProgress>('progress');

const PAGES_PER_RUN = 200;

const books = proxyActivities<WaveSearchActivities>(searchBatch);

export async function waveSearchReindexWorkflow(input: ReindexInput): Promise<ReindexProgress> {
  const scope = { tenantId: input.tenantId, roomId: input.roomId };
  const progress: ReindexProgress = input.progress ?? {
    total: await books.countReindexScope(scope),
    done: 0,
    indexed: 0,
    removed: 0,
    after: null,
    startedAt: Date.now(),
    finished: false,
  };
  setHandler(reindexProgressQuery, () => progress);
  for (let page = 0; page < PAGES_PER_RUN && !workflowInfo().continueAsNewSuggested; page++) {
    const done = await books.reindexSearchPage({ ...scope, after: progress.after });
    if (done.lastId === null) {
      // A page may have read a message just before live indexing removed it, and put it back:
      // whatever was deleted while this ran is removed once more.
      progress.removed += await books.removeDeletedSince({ ...scope, since: progress.startedAt });
      progress.finished = true;
      upsertSearchAttributes([{ key: JobStatusKey, value: 'completed' }]);
      return progress;
    }
    progress.after = done.lastId;
    progress.done += done.indexed + done.removed;
    progress.indexed += done.indexed;
    progress.removed += done.removed;
  }
  return continueAsNew<typeof waveSearchReindexWorkflow>({ ...input, progress });
}
