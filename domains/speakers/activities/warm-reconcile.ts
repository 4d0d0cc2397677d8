import { withDiarizeNode } from '../../../lib/scaiinfer/diarize/client.js';
import { ENGINE_DIARIZE } from '../../../lib/scaiinfer/node-registry.js';
import { ENROLLING_REASON } from '../speakers.js';
import { WarmRegistry } from '../warm-registry.js';
import type { ActivityDeps } from '../../../lib/temporal/activity-deps.js';

// The warm registry checked against the nodes themselves, one page of speakers
// at a time. Ids only go in and out; every step may run again and lands the same.

interface WarmReconcilePageInput {
  /** only this tenant's speakers; every tenant's when absent */
  tenantId?: string;
  /** the last speaker id of the previous page */
  after?: string;
  limit: number;
}

export interface RewarmCandidate {
  speakerId: string;
  tenantId: string;
  tenantSlug: string;
}

interface WarmReconcilePage {
  speakers: number;
  /** holders dropped from the registry: the node is gone, or answered without the speaker */
  stale: number;
  /** nodes that answered holding a speaker whose acknowledgement never reached the registry */
  adopted: number;
  /** online nodes that did not answer; their entries are left as they are */
  unanswered: string[];
  /** active speakers that an online, answering node does not hold */
  rewarm: RewarmCandidate[];
  /** the cursor for the next page, null after the last */
  next: string | null;
}

export function warmReconcileActivities(deps: ActivityDeps) {
  const { db, registry } = deps;
  const env = deps.config.env;
  const warm = new WarmRegistry(deps.redis);

  return {
    async reconcileWarmPage(input: WarmReconcilePageInput): Promise<WarmReconcilePage> {
      // Erasing and erased speakers belong to the erasure; they are never warmed again.
      const speakers = await db.speakerProfile.findMany({
        where: {
          enrollmentStatus: { in: ['pending', 'ready'] },
          ...(input.tenantId ? { tenantId: input.tenantId } : {}),
          ...(input.after ? { id: { gt: input.after } } : {}),
        },
        orderBy: { id: 'asc' },
        take: input.limit,
        select: { id: true, tenantId: true, enrollmentStatus: true, statusReason: true, tenant: { select: { slug: true } } },
      });
      const ids = speakers.map((s) => s.id);
      const page: WarmReconcilePage = { speakers: ids.length, stale: 0, adopted: 0, unanswered: [], rewarm: [], next: null };
      if (ids.length === 0) return page;
      page.next = ids.length === input.limit ? ids.at(-1)! : null;

      // One ListSpeakers per node for the whole page; a node that does not answer is unknown, not empty.
      const online = await registry.online(ENGINE_DIARIZE);
      const answers = new Map<string, Set<string>>();
      await Promise.all(
        online.map(async (n) => {
          try {
            const held = await withDiarizeNode(n.address, env.SCAIWAVE_SCAIECHO_DIARIZE_TIMEOUT_MS, (c) => c.listSpeakers(ids));
            answers.set(n.nodeId, new Set(held));
          } catch {
            page.unanswered.push(n.nodeId);
          }
        }),
      );
      page.unanswered.sort();
      const onlineIds = new Set(online.map((n) => n.nodeId));

      for (const s of speakers) {
        const holders = await warm.holders(s.id);
        for (const nodeId of holders) {
          const answer = answers.get(nodeId);
          if (!onlineIds.has(nodeId) || (answer && !answer.has(s.id))) {
            await warm.notHeld(s.id, nodeId);
            page.stale++;
          }
        }
        let missing = false;
        for (const [nodeId, answer] of answers) {
          if (!answer.has(s.id)) missing = true;
          // Registered only if the node is among those sent the speaker (an eviction in between wins).
          else if (!holders.includes(nodeId) && (await warm.held(s.id, nodeId))) page.adopted++;
        }
        // A speaker still enrolling is its enrollment workflow's to fan out.
        const enrolling = s.enrollmentStatus === 'pending' && s.statusReason === ENROLLING_REASON;
        if (missing && !enrolling) page.rewarm.push({ speakerId: s.id, tenantId: s.tenantId, tenantSlug: s.tenant.slug });
      }
      return page;
    },
  };
}

/** What a workflow proxies: the steps this file defines. */
export type WarmReconcileActivities = ReturnType<typeof warmReconcileActivities>;
