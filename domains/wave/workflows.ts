import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { WaveMediaActivities } from './activities.js';
import { JobStatusKey } from '../../lib/temporal/search-attributes.js';
import type { MediaStatus } from './media.js';
import { bookkeeping } from '../../lib/temporal/activity-options.js';

// No attempt limit on the scan: media stays unavailable until clamd answers,
// however long it is down. The heartbeat is the object's bytes read so far,
// so a scan stuck on a dead connection is retried rather than waited on.
const scan = proxyActivities<WaveMediaActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
const books = proxyActivities<WaveMediaActivities>(bookkeeping());

/**
 * `wave-media-scan-{mediaId}`: stream the object to clamd → infected or
 * unscannable objects move under the quarantine prefix → the row settles
 * (clean media announced to its room). Every step may repeat safely.
 */
export async function waveMediaScanWorkflow(input: { mediaId: string }): Promise<{ status: MediaStatus }> {
  const verdict = await scan.scanWaveMedia(input.mediaId);
  if (verdict.status !== 'clean') await books.quarantineWaveMedia(input.mediaId);
  const status = await books.settleWaveMediaScan(input.mediaId, verdict);
  upsertSearchAttributes([{ key: JobStatusKey, value: 'completed' }]);
  return { status };
}
