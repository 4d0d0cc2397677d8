import { WorkflowExecutionAlreadyStartedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { eraseSpeakerWorkflow } from './workflows/erasure.js';
import { enrollSpeakerWorkflow, rewarmSpeakerWorkflow } from './workflows/enrollment.js';
import { JobKind, runningJobAttributes } from '../../lib/temporal/search-attributes.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import { sealedFor } from '../../lib/codec/data-subject.js';

// The one place the speaker workflows are started, so every start carries the
// same search attributes and id policy. Ids only: names and voices stay out;
// the inputs are sealed under the speaker's own key (lib/codec/), which their
// erasure destroys.

interface Tenant {
  tenantId: string;
  tenantSlug: string;
}

const options = (s: Starter, t: Tenant, kind: JobKind, speakerId: string, summary: string) => ({
  taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
  typedSearchAttributes: runningJobAttributes(t.tenantId, kind, speakerId),
  staticSummary: `${summary} ${speakerId} (tenant ${t.tenantSlug})`,
});

/** Before the route stores anything: the workflow is what cleans up when the route fails part-way. */
export function startEnrollment(s: Starter, t: Tenant, speakerId: string): Promise<WorkflowHandleWithFirstExecutionRunId<typeof enrollSpeakerWorkflow>> {
  return s.temporal.workflow.start(enrollSpeakerWorkflow, {
    ...options(s, t, JobKind.speakerEnrollment, speakerId, 'Speaker enrollment'),
    workflowId: workflowIds.enrollSpeaker(speakerId),
    args: [{ speakerId, ...sealedFor(t.tenantId, { kind: 'speaker', id: speakerId }) }],
  });
}

/** A re-warm already running is the one the caller gets; a finished one may run again. */
export async function startRewarm(s: Starter, t: Tenant, speakerId: string): Promise<void> {
  await s.temporal.workflow.start(rewarmSpeakerWorkflow, {
    ...options(s, t, JobKind.speakerRewarm, speakerId, 'Speaker re-warm'),
    workflowId: workflowIds.rewarmSpeaker(speakerId),
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [{ speakerId, ...sealedFor(t.tenantId, { kind: 'speaker', id: speakerId }) }],
  });
}

/**
 * Idempotent: a running erasure is attached to, a completed one is never run
 * again, and one that failed or was terminated is started afresh (every step
 * of it is safe to repeat).
 */
export async function startErasure(s: Starter, t: Tenant, erasure: { id: string; speakerId: string }): Promise<void> {
  try {
    await s.temporal.workflow.start(eraseSpeakerWorkflow, {
      ...options(s, t, JobKind.speakerErasure, erasure.speakerId, 'Speaker erasure'),
      workflowId: workflowIds.eraseSpeaker(erasure.speakerId),
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [{ erasureId: erasure.id }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
