import { startScaiGridProcess, type ScaiGridProcess, type ScaiGridProcessOptions } from '../../devstack/scaigrid/process.js';
import type { FaultMode } from '../../devstack/stt/faults.js';
import { uniq } from './stack.js';

// The reference ScaiGrid as a suite drives it: its own process (the model loads
// once per suite), keys of its own, and its admin port to inject faults and
// count what reached it.

export interface Fault {
  mode: FaultMode;
  /** How many requests "fail" or "stall" takes; all of them without. */
  count?: number;
  /** The status an injected failure answers with (429, 500, 502, 503, 504; 503 without). */
  status?: number;
  retry_after_s?: number;
}

export type ScaiGridStats = Record<
  'requests' | 'served' | 'unauthorized' | 'model_not_found' | 'rejected' | 'cancelled' | 'failures_injected' | 'by_api_key' | 'by_user_token',
  number
>;

export interface TestScaiGrid extends ScaiGridProcess {
  /** Keys the server accepts: the platform's and a user's. */
  platformKey: string;
  userKey: string;
  fault(f: Fault): Promise<void>;
  stats(): Promise<ScaiGridStats>;
  stop(): Promise<void>;
}

export async function startTestScaiGrid(opts: Partial<ScaiGridProcessOptions> = {}): Promise<TestScaiGrid> {
  const platformKey = `sgk_${uniq('platform')}`;
  const userKey = `sgk_${uniq('user')}`;
  // The run's reference ScaiKey vouches for users, as ScaiKey does for ScaiGrid.
  const scaikey = process.env.SCAIWAVE_SCAIKEY_URL ? { url: process.env.SCAIWAVE_SCAIKEY_URL, audience: process.env.SCAIWAVE_SCAIKEY_CLIENT_ID ?? 'scaiwave' } : undefined;
  const grid = await startScaiGridProcess({ apiKeys: [platformKey, userKey], logDir: process.env.SCAIWAVE_TEST_LOG_DIR ?? '/tmp', scaikey, ...opts });
  return {
    ...grid,
    platformKey,
    userKey,
    async fault(f) {
      const res = await fetch(`${grid.adminUrl}/admin/fault`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(f) });
      if (!res.ok) throw new Error(`fault ${JSON.stringify(f)} refused: ${res.status} ${await res.text()}`);
    },
    async stats() {
      return (await (await fetch(`${grid.adminUrl}/stats`)).json()) as ScaiGridStats;
    },
    stop: () => grid.process.stop(),
  };
}
