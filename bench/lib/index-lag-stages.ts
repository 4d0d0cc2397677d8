import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { Db } from '../../lib/infra/db.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import type { MessagesChanged } from '../../domains/search/workflows/index.js';

// Where a message's index lag went, read after the fact from what the pipeline
// records anyway: the outbox row's published_at (the API's relay put the event
// on JetStream), the index workflow's history (the search feed's signal that
// carried the id; the start and end of the syncSearchIndex activity that
// embedded and upserted it). Nothing is added to the product to measure it.
// Times are epoch ms from MariaDB's and Temporal's clocks: the same machine's.

export interface Stages {
  published?: number;
  signalled?: number;
  /** the change time that signal carried for it, which the worker's lag metric counts from (its feed batch's oldest event before `changedAt`) */
  countedFrom?: number;
  batchStarted?: number;
  batchEnded?: number;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const msOf = (e: HistoryEvent): number => Number(String(e.eventTime?.seconds ?? 0)) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
const firstArg = <T>(payloads: temporal.api.common.v1.IPayloads | null | undefined): T => defaultPayloadConverter.fromPayload<T>(payloads!.payloads![0]!);

/** Every run of the tenant's index workflow, newest first, followed back through continue-as-new. */
async function histories(temporalClient: Client, tenantId: string): Promise<HistoryEvent[][]> {
  const workflowId = workflowIds.waveSearchIndex(tenantId);
  const runs: HistoryEvent[][] = [];
  let runId: string | undefined;
  do {
    const events = (await temporalClient.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    runs.push(events);
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  } while (runId);
  return runs;
}

export interface Batch {
  started: number;
  ended: number;
  ids: string[];
}

export interface LagStages {
  byMessage: Map<string, Stages>;
  /** every syncSearchIndex run that completed, in order */
  batches: Batch[];
}

export async function lagStages(db: Db, temporalClient: Client, tenantId: string): Promise<LagStages> {
  const stages = new Map<string, Stages>();
  const batches: Batch[] = [];
  const of = (id: string): Stages => {
    let s = stages.get(id);
    if (!s) stages.set(id, (s = {}));
    return s;
  };

  // UNIX_TIMESTAMP reads published_at in the session's time zone, the one NOW(3) wrote it in.
  const published = await db.$queryRaw<{ id: string; at: number }[]>`
    SELECT JSON_VALUE(payload, '$.messageId') AS id, CAST(UNIX_TIMESTAMP(published_at) * 1000 AS DOUBLE) AS at
    FROM wave_outbox WHERE tenant_id = ${tenantId} AND published_at IS NOT NULL AND JSON_VALUE(payload, '$.type') = 'message.posted'`;
  for (const row of published) of(row.id).published = Number(row.at);

  for (const events of (await histories(temporalClient, tenantId)).reverse()) {
    const scheduledIds = new Map<string, string[]>();
    const startedAt = new Map<string, number>();
    for (const e of events) {
      const signal = e.workflowExecutionSignaledEventAttributes;
      if (signal) {
        const change = firstArg<MessagesChanged>(signal.input);
        change.messageIds.forEach((id, i) => {
          const s = of(id);
          if (s.signalled !== undefined) return;
          s.signalled = msOf(e);
          s.countedFrom = change.changedAt?.[i] ?? change.at;
        });
      }
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) scheduledIds.set(String(e.eventId), firstArg<{ changes: [string, number][] }>(scheduled.input).changes.map(([id]) => id));
      const started = e.activityTaskStartedEventAttributes;
      if (started) startedAt.set(String(started.scheduledEventId), msOf(e));
      const completed = e.activityTaskCompletedEventAttributes;
      if (completed) {
        const ids = scheduledIds.get(String(completed.scheduledEventId)) ?? [];
        const batch = { started: startedAt.get(String(completed.scheduledEventId)) ?? msOf(e), ended: msOf(e), ids };
        batches.push(batch);
        for (const id of ids) {
          const s = of(id);
          if (s.batchEnded !== undefined) continue;
          s.batchStarted = batch.started;
          s.batchEnded = batch.ended;
        }
      }
    }
  }
  return { byMessage: stages, batches };
}
