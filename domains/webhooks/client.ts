import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { JobKind, runningJobAttributes } from '../../lib/temporal/search-attributes.js';
import type { Starter } from '../../lib/temporal/starter.js';
import { workflowIds } from '../../lib/temporal/workflow-ids.js';
import { webhookDeliveryWorkflow, type WebhookRetry } from './workflows.js';

// The one place delivery workflows are started. A delivery runs once, ever:
// a second start of the same id (the same event read again) is refused by
// Temporal whether the first run is still trying or long finished.

export const retryOf = (s: Starter): WebhookRetry => ({
  initialSeconds: s.config.env.SCAIWAVE_WEBHOOKS_RETRY_INITIAL_SECONDS,
  maxIntervalSeconds: s.config.env.SCAIWAVE_WEBHOOKS_RETRY_MAX_INTERVAL_SECONDS,
  windowSeconds: s.config.env.SCAIWAVE_WEBHOOKS_RETRY_WINDOW_SECONDS,
});

export async function startWebhookDelivery(s: Starter, d: { id: string; tenantId: string; endpointId: string; eventType: string }): Promise<void> {
  try {
    await s.temporal.workflow.start(webhookDeliveryWorkflow, {
      taskQueue: s.config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
      workflowId: workflowIds.webhookDelivery(d.id),
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [{ deliveryId: d.id, retry: retryOf(s) }],
      typedSearchAttributes: runningJobAttributes(d.tenantId, JobKind.webhookDelivery, d.endpointId),
      staticSummary: `Webhook ${d.eventType} to endpoint ${d.endpointId}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
