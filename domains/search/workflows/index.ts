import { condition, continueAsNew, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { WaveSearchActivities } from '../activities.js';
import { searchBatch } from '../../../lib/temporal/activity-options.js';

// `wave-search-index-{tenantId}`: the tenant's search index follows its room
// events. The JetStream consumer (domains/search/event-consumer.ts) signals the
// ids of messages that changed, starting the workflow if it is not running;
// this loop takes them in batches and has each batch brought in line with
// MariaDB (domains/search/message-sync.ts), which decides index or remove. Ids
// only: no text in this history. A message signalled again while its batch
// runs is queued again, so the newest state always gets a turn. Membership
// changes are not signalled: permissions are checked at query time.

/**
 * Messages whose rows changed, and when (epoch ms): the lag of each is counted
 * from its own change. `at` is the oldest of `changedAt`, for the signals sent
 * before `changedAt` was (still in running histories) and for workers that predate it.
 */
export interface MessagesChanged {
  messageIds: string[];
  at: number;
  /** when each id's change happened, in the order of messageIds */
  changedAt?: number[];
}

export interface IndexProgress {
  tenantId: string;
  /** waiting for their turn */
  pending: number;
  indexed: number;
  removed: number;
  batches: number;
  /** when the last batch finished (epoch ms) */
  lastBatchAt: number | null;
}

export interface IndexInput {
  tenantId: string;
  /** carried over by continue-as-new: id → when its change happened */
  pending?: [string, number][];
  totals?: Pick<IndexProgress, 'indexed' | 'removed' | 'batches' | 'lastBatchAt'>;
}

export const messagesChangedSignal = defineSignal<[MessagesChanged]>('messagesChanged');
export const indexProgressQuery = defineQuery<IndexProgress>('progress');

/** Messages per batch: one embedding call's worth, one index commit. */
export const INDEX_BATCH = 64;
/** Batches per run before continuing as new, so the history stays short however long the tenant lives. */
const BATCHES_PER_RUN = 500;

// While ScaiGrid is away the batch is retried and the events wait in the signals.
const sync = proxyActivities<WaveSearchActivities>(searchBatch);

export async function waveSearchIndexWorkflow(input: IndexInput): Promise<void> {
  const pending = new Map<string, number>(input.pending ?? []);
  const totals = { indexed: 0, removed: 0, batches: 0, lastBatchAt: null as number | null, ...input.totals };
  setHandler(messagesChangedSignal, ({ messageIds, at, changedAt }) => {
    messageIds.forEach((id, i) => {
      if (!pending.has(id)) pending.set(id, changedAt?.[i] ?? at);
    });
  });
  setHandler(indexProgressQuery, () => ({ tenantId: input.tenantId, pending: pending.size, ...totals }));

  for (let run = 0; run < BATCHES_PER_RUN && !workflowInfo().continueAsNewSuggested; run++) {
    await condition(() => pending.size > 0);
    const batch = [...pending].slice(0, INDEX_BATCH);
    for (const [id] of batch) pending.delete(id);
    const outcome = await sync.syncSearchIndex({ tenantId: input.tenantId, changes: batch });
    totals.indexed += outcome.indexed;
    totals.removed += outcome.removed;
    totals.batches++;
    totals.lastBatchAt = Date.now();
  }
  // A signal arriving as this run completes makes Temporal refuse the completion and run the
  // task again with the signal handled, so it is in the `pending` carried over.
  await continueAsNew<typeof waveSearchIndexWorkflow>({ tenantId: input.tenantId, pending: [...pending], totals });
}
