import { backendsFor } from './begin-job.js';
import { endJob, type Outcome } from './finish-job.js';
import { publishJobEvent } from './job-events.js';
import { loadJob, recordJobUsage, TERMINAL, transition } from './jobs.js';
import type { Backend } from './policy.js';
import type { TranscriptionDeps } from './activities.js';
import { asFailure } from '../../lib/temporal/activity-failures.js';

// The job's steps as they were before beginTranscriptionJob and
// settleTranscriptionJob (local activities) replaced them. Kept because runs
// begun before the change (patch `transcription-local-steps`) still call them
// one by one: their histories are under test/histories/*-before-local-steps.json
// and replay through the same branch, and a run of that shape still open when a
// worker is upgraded needs a worker that can execute these. Remove them with the
// branch once no such run can be open (the namespace's retention period after
// the change) and those histories are deleted.

/** What later steps need to know about a finished job: ids and figures, no content. */
export interface JobFacts {
  jobId: string;
  tenantId: string;
  userId: string;
  status: string;
}

export function legacyTranscriptionActivities(deps: TranscriptionDeps) {
  const { db } = deps;

  return {

    async startTranscriptionJob(
      jobId: string,
    ): Promise<{ terminal: boolean; status: string; attributeSpeakers: boolean; facts: JobFacts }> {
      await transition(db, jobId, ['queued'], 'running', { startedAt: new Date() });
      const j = await loadJob(deps.sql, jobId);
      return {
        terminal: TERMINAL.has(j.status),
        status: j.status,
        attributeSpeakers: j.attributeSpeakers,
        facts: { jobId, tenantId: j.tenantId, userId: j.userId, status: j.status },
      };
    },

    async chooseTranscriptionBackend(jobId: string): Promise<Backend> {
      const [first] = await asFailure(async () => backendsFor(deps, await loadJob(deps.sql, jobId)));
      return first;
    },

    async finishTranscriptionJob(jobId: string, outcome: Outcome): Promise<JobFacts> {
      const j = await endJob(deps, jobId, outcome);
      return { jobId, tenantId: j.tenantId, userId: j.userId, status: j.status };
    },

    async recordTranscriptionUsage(facts: JobFacts): Promise<void> {
      await recordJobUsage(deps.redis, await loadJob(deps.sql, facts.jobId));
    },

    async publishTranscriptionEvent(facts: JobFacts): Promise<void> {
      await publishJobEvent(deps.nats.get(), deps.config, await loadJob(deps.sql, facts.jobId));
    },
  };
}

/** What the job workflow's older branch proxies. */
export type LegacyTranscriptionActivities = ReturnType<typeof legacyTranscriptionActivities>;
