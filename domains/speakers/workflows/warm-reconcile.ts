import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  continueAsNew,
  defineQuery,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import type { WarmReconcileActivities } from '../activities/warm-reconcile.js';
import type { RewarmCandidate } from '../activities/warm-reconcile.js';
import { JobKind, runningJobAttributes } from '../../../lib/temporal/search-attributes.js';
import { workflowIds } from '../../../lib/temporal/workflow-ids.js';
import { sealedFor } from '../../../lib/codec/data-subject.js';
import { rewarmSpeakerWorkflow } from './enrollment.js';

export interface WarmReconcileSummary {
  speakers: number;
  /** registry entries dropped: the node was gone or did not hold the speaker */
  stale: number;
  /** node holdings the registry had missed, now registered */
  adopted: number;
  /** re-warms this reconcile started that ended ready */
  rewarmed: number;
  /** re-warms that ended with the speaker still pending (the reason is on the speaker) */
  rewarmPending: number;
  /** a re-warm was already running (started by the API or an earlier reconcile) */
  rewarmRunning: number;
  rewarmFailed: number;
  /** online nodes that did not answer; their entries were left alone */
  unanswered: string[];
}

export interface WarmReconcileInput {
  /** only this tenant's speakers (an operator's or a test's run); the Schedule reconciles every tenant */
  tenantId?: string;
  pageSize?: number;
  /** pages per run before continuing as new, so a large fleet never grows one history without bound */
  pagesPerRun?: number;
  /** carried across continue-as-new */
  after?: string;
  totals?: WarmReconcileSummary;
}

export interface WarmReconcileProgress {
  pages: number;
  after: string | null;
  totals: WarmReconcileSummary;
}

export const warmReconcileProgressQuery = defineQuery<WarmReconcileProgress>('progress');

const books = proxyActivities<WarmReconcileActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

const PAGE_SIZE = 100;
const PAGES_PER_RUN = 20;
/** re-warms in flight at once; each fans out to every online node */
const PARALLEL_REWARMS = 8;

const empty = (): WarmReconcileSummary => ({
  speakers: 0,
  stale: 0,
  adopted: 0,
  rewarmed: 0,
  rewarmPending: 0,
  rewarmRunning: 0,
  rewarmFailed: 0,
  unanswered: [],
});

/**
 * `scaiecho-warm-reconcile` (Schedule `warm-reconcile`): page by page, what the
 * registry says against what the online diarization nodes answer; stale
 * entries dropped, and a re-warm (`scaiecho-warm-{speakerId}`, so never two at
 * once) for every active speaker an online node lacks.
 */
export async function warmReconcileWorkflow(input: WarmReconcileInput = {}): Promise<WarmReconcileSummary> {
  const pageSize = input.pageSize ?? PAGE_SIZE;
  const pagesPerRun = input.pagesPerRun ?? PAGES_PER_RUN;
  const totals = input.totals ?? empty();
  const progress: WarmReconcileProgress = { pages: 0, after: input.after ?? null, totals };
  setHandler(warmReconcileProgressQuery, () => progress);

  let after = input.after;
  for (;;) {
    if (progress.pages >= pagesPerRun) {
      return continueAsNew<typeof warmReconcileWorkflow>({ ...input, after, totals });
    }
    const page = await books.reconcileWarmPage({ tenantId: input.tenantId, after, limit: pageSize });
    totals.speakers += page.speakers;
    totals.stale += page.stale;
    totals.adopted += page.adopted;
    totals.unanswered = [...new Set([...totals.unanswered, ...page.unanswered])].sort();
    for (let i = 0; i < page.rewarm.length; i += PARALLEL_REWARMS) {
      await Promise.all(page.rewarm.slice(i, i + PARALLEL_REWARMS).map((c) => rewarm(c, totals)));
    }
    progress.pages++;
    if (!page.next) return totals;
    after = page.next;
    progress.after = after;
  }
}

/** Started as a child that outlives this run; one already running is left to finish on its own. */
async function rewarm(c: RewarmCandidate, totals: WarmReconcileSummary): Promise<void> {
  try {
    const child = await startChild(rewarmSpeakerWorkflow, {
      workflowId: workflowIds.rewarmSpeaker(c.speakerId),
      args: [{ speakerId: c.speakerId, ...sealedFor(c.tenantId, { kind: 'speaker', id: c.speakerId }) }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: runningJobAttributes(c.tenantId, JobKind.speakerRewarm, c.speakerId),
      staticSummary: `Speaker re-warm ${c.speakerId} (tenant ${c.tenantSlug}, by the warm reconcile)`,
    });
    const { status } = await child.result();
    if (status === 'ready') totals.rewarmed++;
    else totals.rewarmPending++;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) totals.rewarmRunning++;
    else totals.rewarmFailed++;
  }
}
