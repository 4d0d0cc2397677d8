import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';

// How long each phase of a room export took, read after the fact from the
// workflow's history: a phase runs from the first of its activities being
// scheduled to the last of them completing (domains/export/workflows/room-export.ts runs
// them one after the other). Nothing is added to the product to measure it.

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export const EXPORT_PHASES = {
  messages: ['exportMessages'],
  media: ['exportMedia'],
  index: ['exportIndexFiles'],
  upload: ['openExportUpload', 'uploadExportParts', 'completeExportUpload'],
} as const;
export type ExportPhase = keyof typeof EXPORT_PHASES;

export interface Span {
  /** epoch ms */
  from: number;
  to: number;
}

export interface PhaseTimes {
  /** workflow started → completed, ms */
  totalMs: number;
  phaseMs: Record<ExportPhase, number>;
  /** when each phase ran; null for one that did not */
  spans: Record<ExportPhase, Span | null>;
  /** activity attempts that failed or timed out before one succeeded (a retried step repeats work) */
  retries: number;
}

const msOf = (e: HistoryEvent): number => Number(String(e.eventTime?.seconds ?? 0)) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

export async function exportPhases(temporalClient: Client, exportId: string): Promise<PhaseTimes> {
  const events = (await temporalClient.workflow.getHandle(workflowIds.waveRoomExport(exportId)).fetchHistory()).events ?? [];
  const typeOf = new Map<string, string>();
  const span = new Map<string, Span>();
  let retries = 0;
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const type = scheduled.activityType?.name ?? '';
      typeOf.set(String(e.eventId), type);
      const s = span.get(type);
      span.set(type, { from: s?.from ?? msOf(e), to: s?.to ?? msOf(e) });
    }
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed) {
      const type = typeOf.get(String(completed.scheduledEventId)) ?? '';
      const s = span.get(type);
      if (s) s.to = Math.max(s.to, msOf(e));
    }
    // Retries happen in the server; the started event, written when the step ends, says which attempt it was.
    retries += Math.max(0, (e.activityTaskStartedEventAttributes?.attempt ?? 1) - 1);
  }
  const spans = Object.fromEntries(
    Object.entries(EXPORT_PHASES).map(([phase, types]) => {
      const of = types.flatMap((t) => span.get(t) ?? []);
      return [phase, of.length === 0 ? null : { from: Math.min(...of.map((s) => s.from)), to: Math.max(...of.map((s) => s.to)) }];
    }),
  ) as Record<ExportPhase, Span | null>;
  const phaseMs = Object.fromEntries(Object.entries(spans).map(([phase, s]) => [phase, s ? s.to - s.from : 0])) as Record<ExportPhase, number>;
  return { totalMs: msOf(events.at(-1)!) - msOf(events[0]!), phaseMs, spans, retries };
}
