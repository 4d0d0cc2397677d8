import { defineQuery, proxyActivities, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { JobStatusKey } from '../../lib/temporal/search-attributes.js';
import type { TryOutcome, WebhookActivities } from './activities.js';

// `webhook-delivery-{deliveryId}`: one event to one endpoint, tried until the
// receiver answers 2xx, for at most the retry window (3 days by default).
//
// The waits live here, as durable timers, rather than in an activity retry
// policy with a 3-day schedule-to-close: each try is then its own activity in
// the history (the Temporal UI shows every try and its outcome), the delivery
// log numbers tries by this loop, a 410 or a disabled endpoint ends the run
// at once without being dressed up as an error, and nothing holds a worker
// slot between tries. The activities' own retry policy only covers a crashed
// worker or our database: it retries without limit, and a try repeated after
// a crash overwrites its own log row and sends the same `webhook-id`.

export interface WebhookRetry {
  initialSeconds: number;
  maxIntervalSeconds: number;
  windowSeconds: number;
}

export interface WebhookDeliveryInput {
  deliveryId: string;
  retry: WebhookRetry;
}

export interface WebhookDeliveryProgress {
  attempts: number;
  last: TryOutcome | null;
  status: 'pending' | 'delivered' | 'failed' | 'abandoned';
}

export const webhookDeliveryProgressQuery = defineQuery<WebhookDeliveryProgress>('progress');

// One try waits at most SCAIWAVE_WEBHOOKS_TIMEOUT_MS (≤ 2 minutes) for the receiver.
const tries = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** The wait after try `n` failed: doubling from the initial wait, capped. */
export const waitAfter = (r: WebhookRetry, n: number): number => Math.min(r.initialSeconds * 2 ** (n - 1), r.maxIntervalSeconds);

export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryProgress> {
  const { deliveryId, retry } = input;
  const progress: WebhookDeliveryProgress = { attempts: 0, last: null, status: 'pending' };
  setHandler(webhookDeliveryProgressQuery, () => progress);
  const started = Date.now();

  const settle = async (status: Exclude<WebhookDeliveryProgress['status'], 'pending'>, disable?: string) => {
    await tries.settleWebhookDelivery({ deliveryId, status, ...(disable ? { disable } : {}) });
    progress.status = status;
    upsertSearchAttributes([{ key: JobStatusKey, value: status }]);
    return progress;
  };

  for (let attempt = 1; ; attempt++) {
    const r = await tries.tryWebhookDelivery({ deliveryId, attempt });
    progress.attempts = attempt;
    progress.last = r;
    if (r.outcome === 'delivered') return settle('delivered');
    if (r.outcome === 'abandoned') return settle('abandoned');
    if (r.outcome === 'gone') return settle('failed', 'the endpoint answered 410 Gone');
    const wait = waitAfter(retry, attempt);
    if (Date.now() + wait * 1000 - started > retry.windowSeconds * 1000) {
      const last = r.statusCode !== null ? `HTTP ${r.statusCode}` : (r.error ?? 'no answer');
      return settle('failed', `a delivery failed every try for ${retry.windowSeconds} s (${attempt} tries, the last: ${last})`);
    }
    await sleep(wait * 1000);
  }
}
