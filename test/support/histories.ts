import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { binary } from '../../devstack/tools.js';

export const historiesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'histories');

/**
 * With SCAIWAVE_CAPTURE_HISTORIES=1 a test saves the history of a workflow it
 * ran (in the temporal CLI's JSON, which historyFromJSON reads), so
 * test/replay.test.ts can prove later code still replays it. Capture again when
 * a workflow deliberately changes shape (behind patched()).
 */
export async function captureHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (process.env.SCAIWAVE_CAPTURE_HISTORIES !== '1') return;
  const { stdout } = await promisify(execFile)(
    binary('temporal'),
    ['workflow', 'show', '--address', process.env.SCAIWAVE_TEMPORAL_ADDRESS!, '-w', handle.workflowId, '--output', 'json'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  fs.mkdirSync(historiesDir, { recursive: true });
  fs.writeFileSync(path.join(historiesDir, `${name}.json`), stdout);
}
