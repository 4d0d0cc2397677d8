import type { WebhookEvent } from './event-types.js';

// What the JetStream lifecycle events become as webhook events. A message this
// does not know (a job's `running`, a stranger's payload) is no event: undefined.

type Fields = Record<string, unknown>;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const JOB_STATUSES = { completed: 'scaiecho.job.completed', failed: 'scaiecho.job.failed', cancelled: 'scaiecho.job.cancelled' } as const;

/** `scaiecho.jobs.{tenant}.{status}` (domains/scaiecho/job-events.ts). */
function jobEvent(f: Fields): WebhookEvent | undefined {
  const jobId = text(f.job_id);
  const tenantId = text(f.tenant_id);
  const status = text(f.status);
  if (!jobId || !tenantId || !status || !(status in JOB_STATUSES)) return undefined;
  return {
    id: `job_${jobId}_${status}`,
    type: JOB_STATUSES[status as keyof typeof JOB_STATUSES],
    tenantId,
    occurredAt: text(f.occurred_at) ?? new Date().toISOString(),
    data: {
      job_id: jobId,
      status,
      status_reason: text(f.status_reason) ?? null,
      backend_used: text(f.backend_used) ?? null,
      audio_duration_ms: num(f.audio_duration_ms),
      job_url: `/v1/modules/scaiecho/jobs/${jobId}`,
    },
  };
}

/** `compliance.exports.{tenant}.completed` (domains/export/export-events.ts). */
function exportEvent(f: Fields): WebhookEvent | undefined {
  const exportId = text(f.export_id);
  const tenantId = text(f.tenant_id);
  const roomId = text(f.room_id);
  if (!exportId || !tenantId || !roomId || f.status !== 'completed') return undefined;
  return {
    id: `export_${exportId}_completed`,
    type: 'wave.export.completed',
    tenantId,
    occurredAt: text(f.occurred_at) ?? new Date().toISOString(),
    data: { export_id: exportId, room_id: roomId, status: 'completed', export_url: `/v1/wave/exports/${exportId}` },
  };
}

/** `compliance.erasures.{tenant}.completed` (domains/erasure/erasure-events.ts). */
function erasureEvent(f: Fields): WebhookEvent | undefined {
  const erasureId = text(f.erasure_id);
  const tenantId = text(f.tenant_id);
  if (!erasureId || !tenantId || f.status !== 'completed') return undefined;
  return {
    id: `erasure_${erasureId}_completed`,
    type: 'wave.erasure.completed',
    tenantId,
    occurredAt: text(f.occurred_at) ?? new Date().toISOString(),
    data: { erasure_id: erasureId, status: 'completed', erasure_url: `/v1/compliance/erasures/${erasureId}` },
  };
}

/** The webhook event a lifecycle message on `subject` (without the deployment's prefix) carries. */
export function webhookEventOf(subject: string, fields: Fields): WebhookEvent | undefined {
  if (subject.startsWith('scaiecho.jobs.')) return jobEvent(fields);
  if (subject.startsWith('compliance.exports.')) return exportEvent(fields);
  if (subject.startsWith('compliance.erasures.')) return erasureEvent(fields);
  return undefined;
}
