import { proxyActivities } from '@temporalio/workflow';
import type { SystemActivities } from './activities.js';

const { probeWorkerDependencies } = proxyActivities<SystemActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

/** A round trip through a worker: the operator's proof that queue, worker and stores line up. */
export async function systemCheckWorkflow(): Promise<Awaited<ReturnType<SystemActivities['probeWorkerDependencies']>>> {
  return probeWorkerDependencies();
}
