import { checkBudget } from '../accounting/budgets.js';
import type { SqlPool } from '../../lib/infra/db.js';
import type { SttBackends } from './backends.js';
import type { FinishDeps } from './finish-job.js';
import { publishJobEvent } from './job-events.js';
import { loadJob, TERMINAL, transition, type TranscriptionJob } from './jobs.js';
import { backendsToTry, getOrProvisionPolicy, type Backend, type BackendPreference } from './policy.js';

interface BeginDeps extends FinishDeps {
  sql: SqlPool;
  backends: SttBackends;
}

/** What an async job's first step found: an end state already, or the backends to try in order. */
export interface Begun {
  terminal: boolean;
  status: string;
  attributeSpeakers: boolean;
  /** The first backend to try; null when the job had already ended. */
  backend: Backend | null;
  /** The allowed, available backends after `backend`, tried in turn when one fails (failover.ts). Absent in runs begun before failover. */
  fallbacks?: Backend[];
}

/**
 * Budget and policy as they are now, not as they were at upload: either may
 * have changed since (other jobs may have used the budget up). The same order
 * as the inline path's.
 */
export async function backendsFor(deps: BeginDeps, j: TranscriptionJob): Promise<[Backend, ...Backend[]]> {
  await checkBudget(deps.db, deps.redis, j, { requests: 1, audio_ms: j.audioDurationMs ?? 0 });
  const policy = await getOrProvisionPolicy(deps.db, j.tenantId);
  return backendsToTry(policy, j.backendPreference as BackendPreference, await deps.backends.availability());
}

/**
 * queued → running, the running event, and the backends to try. Each part may
 * repeat: the move is conditional, the event id is job + status. A job already
 * ended (cancelled while queued) is left alone.
 */
export async function beginJob(deps: BeginDeps, jobId: string): Promise<Begun> {
  await transition(deps.db, jobId, ['queued'], 'running', { startedAt: new Date() });
  const j = await loadJob(deps.sql, jobId);
  if (TERMINAL.has(j.status)) return { terminal: true, status: j.status, attributeSpeakers: j.attributeSpeakers, backend: null };
  await publishJobEvent(deps.nats.get(), deps.config, j);
  const [backend, ...fallbacks] = await backendsFor(deps, j);
  return { terminal: false, status: j.status, attributeSpeakers: j.attributeSpeakers, backend, fallbacks };
}
