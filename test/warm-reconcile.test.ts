import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../devstack/ports.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { withDiarizeNode } from '../lib/scaiinfer/diarize/client.js';
import { ENGINE_DIARIZE } from '../lib/scaiinfer/node-registry.js';
import { WarmRegistry } from '../domains/speakers/warm-registry.js';
import { workflowIds } from '../lib/temporal/workflow-ids.js';
import { warmReconcileWorkflow, type WarmReconcileInput } from '../domains/speakers/workflows/warm-reconcile.js';
import { captureHistory } from './support/histories.js';
import { startScaiEchoStack, type RefNode, type ScaiEchoStack } from './support/scaiecho.js';
import { speak } from './support/speech.js';
import { call, newTenant, testDb, uniq } from './support/stack.js';

const SHELLS = 'She sells sea shells by the sea shore, and the shells she sells are surely sea shells.';
const CONSENT = 'I agree that my voice may be enrolled for speaker attribution.';

interface Warm {
  speaker_id: string;
  warm_node_ids: string[];
  candidate_node_ids: string[];
  stale_node_ids: string[];
}

describe('warm-registry reconcile', () => {
  const db = testDb();
  let s: ScaiEchoStack;
  let t: Provisioned;
  let warm: WarmRegistry;
  const base = '/v1/modules/scaiecho';

  beforeAll(async () => {
    s = await startScaiEchoStack({ diarizers: 3 });
    t = await newTenant(db, { tier: 'pro' });
    warm = new WarmRegistry(s.api.deps.redis);
  }, 240_000);
  afterAll(async () => {
    await s?.stop();
    await db.$disconnect();
  });

  const ids = (nodes: RefNode[]): string[] => nodes.map((n) => n.nodeId).sort();
  const warmOf = async (id: string): Promise<Warm> =>
    (await call<Warm>(s.api.url, 'GET', `${base}/speakers/${id}/warm`, { token: t.apiKey.key })).body.data!;
  const nodesHolding = async (speakerId: string, nodes: RefNode[]): Promise<string[]> => {
    const answers = await Promise.all(
      nodes.map(async (n) => ((await withDiarizeNode(n.grpcAddress, 5000, (c) => c.listSpeakers([speakerId]))).length ? [n.nodeId] : [])),
    );
    return answers.flat().sort();
  };

  async function enroll(name: string): Promise<string> {
    const form = new FormData();
    form.append('display_name', name);
    form.append('consent_text_version', 'v3');
    form.append('reference_audio', new Blob([fs.readFileSync(speak(SHELLS, 'rms'))]), 'reference.wav');
    form.append('consent_recording', new Blob([fs.readFileSync(speak(CONSENT, 'rms'))]), 'consent.wav');
    const res = await call<{ speaker_id: string }>(s.api.url, 'POST', `${base}/speakers`, { token: t.apiKey.key, body: form });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const id = res.body.data!.speaker_id;
    expect(await s.api.deps.temporal.workflow.getHandle(workflowIds.enrollSpeaker(id)).result()).toEqual({ status: 'ready' });
    return id;
  }

  /** One run for this tenant only, so other suites' speakers are not touched. */
  async function reconcile(opts: Omit<WarmReconcileInput, 'tenantId'> = {}) {
    const handle = await s.api.deps.temporal.workflow.start(warmReconcileWorkflow, {
      workflowId: `${workflowIds.warmReconcile(t.tenant.id)}-${uniq('run')}`,
      taskQueue: s.env.SCAIWAVE_TEMPORAL_TASK_QUEUE!,
      args: [{ tenantId: t.tenant.id, ...opts }],
    });
    return { handle, summary: await handle.result() };
  }

  it('drops the offline node and the emptied node, re-warms the emptied one; a second run changes nothing', async () => {
    const [d1, d2, d3] = s.diarizers as [RefNode, RefNode, RefNode];
    const id = await enroll('Katherine Johnson');
    expect(await warm.holders(id)).toEqual(ids([d1, d2, d3]));

    // d4 stands for a node restarted empty: the registry says it holds the speaker, the node does not.
    const d4 = await s.startDiarizer();
    await warm.sending(id, d4.nodeId);
    expect(await warm.held(id, d4.nodeId)).toBe(true);
    expect(await nodesHolding(id, [d4])).toEqual([]);
    // d3 goes offline (keeping what it holds, as a node whose network dropped).
    await d3.fault('offline');
    await waitUntil('d3 offline', async () => !(await s.api.deps.registry.online(ENGINE_DIARIZE)).some((n) => n.nodeId === d3.nodeId), 20_000);
    expect(await warmOf(id)).toMatchObject({ warm_node_ids: ids([d1, d2]), stale_node_ids: ids([d3, d4]) });

    const first = await reconcile();
    expect(first.summary).toEqual({
      speakers: 1,
      stale: 2,
      adopted: 0,
      rewarmed: 1,
      rewarmPending: 0,
      rewarmRunning: 0,
      rewarmFailed: 0,
      unanswered: [],
    });
    expect(await warm.holders(id)).toEqual(ids([d1, d2, d4]));
    expect(await nodesHolding(id, [d1, d2, d4])).toEqual(ids([d1, d2, d4]));
    expect(await warmOf(id)).toEqual({ speaker_id: id, warm_node_ids: ids([d1, d2, d4]), candidate_node_ids: [], stale_node_ids: [] });
    // The erasure still knows d3 was sent the speaker, should it come back holding it.
    expect(await warm.mayHold(id)).toEqual(ids([d1, d2, d3, d4]));
    const history = JSON.stringify(await first.handle.fetchHistory());
    expect(history).not.toMatch(/Katherine|Johnson|UklGR|"values"/);
    expect((await first.handle.describe()).searchAttributes).not.toHaveProperty('TenantId');
    await captureHistory('warmReconcileWorkflow--rewarmed', first.handle);

    // Again, one speaker per page and one page per run: continues as new, and finds nothing to do.
    const second = await reconcile({ pageSize: 1, pagesPerRun: 1 });
    expect(second.summary).toMatchObject({ speakers: 1, stale: 0, adopted: 0, rewarmed: 0, rewarmRunning: 0, rewarmFailed: 0 });
    expect((await second.handle.describe()).runId).not.toBe(second.handle.firstExecutionRunId);
    expect(await warm.holders(id)).toEqual(ids([d1, d2, d4]));
    expect(await warmOf(id)).toEqual({ speaker_id: id, warm_node_ids: ids([d1, d2, d4]), candidate_node_ids: [], stale_node_ids: [] });

    // d3 back, empty-handed as far as the registry knows: the next run makes it a holder again.
    await d3.fault('ok');
    await waitUntil('d3 online', async () => (await s.api.deps.registry.online(ENGINE_DIARIZE)).some((n) => n.nodeId === d3.nodeId), 20_000);
    const third = await reconcile();
    // The node kept the embedding while offline: it is adopted, and nothing needs re-warming.
    expect(third.summary).toMatchObject({ speakers: 1, stale: 0, adopted: 1, rewarmed: 0 });
    expect(await warmOf(id)).toEqual({ speaker_id: id, warm_node_ids: ids([d1, d2, d3, d4]), candidate_node_ids: [], stale_node_ids: [] });
  }, 180_000);
});
