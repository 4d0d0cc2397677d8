import type { NatsConnection } from 'nats';
import type { Config } from '../../lib/config.js';
import { publishOnce } from '../../lib/events/jetstream.js';
import type { TranscriptionJob } from './jobs.js';

/**
 * Lifecycle events on `scaiecho.jobs.{tenant_id}.{status}`. The message id is
 * job + status, so a retried publish is stored once. Ids and figures only: the
 * transcript never leaves the database this way.
 */
export function publishJobEvent(nc: NatsConnection, config: Config, job: TranscriptionJob) {
  return publishOnce(nc, config, `scaiecho.jobs.${job.tenantId}.${job.status}`, `${job.id}.${job.status}`, {
    job_id: job.id,
    tenant_id: job.tenantId,
    user_id: job.userId,
    status: job.status,
    status_reason: job.statusReason,
    backend_used: job.backendUsed,
    audio_duration_ms: job.audioDurationMs,
    occurred_at: (job.completedAt ?? job.updatedAt).toISOString(),
  });
}
