import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

const { probeWorkerDependencies } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

/** A round trip through a worker: the operator's proof that queue, worker and stores line up. */
export async function systemCheckWorkflow(): Promise<Awaited<ReturnType<Activities['probeWorkerDependencies']>>> {
  return probeWorkerDependencies();
}
