import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { openPayloadsIn } from '../../lib/codec/open-payloads.js';

export const historiesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'histories');

/**
 * With SCAIWAVE_CAPTURE_HISTORIES=1 a test saves the history of a workflow it
 * ran (in the proto JSON the temporal CLI writes, which historyFromJSON reads),
 * so test/replay.test.ts can prove later code still replays it. Its payloads
 * are saved opened: the keys that sealed them live only in this run's
 * database. Capture again when a workflow deliberately changes shape (behind
 * patched()).
 */
export async function captureHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (process.env.SCAIWAVE_CAPTURE_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  await openPayloadsIn(history, handle.client.options.loadedDataConverter.payloadCodecs);
  fs.mkdirSync(historiesDir, { recursive: true });
  fs.writeFileSync(path.join(historiesDir, `${name}.json`), historyToJSON(history));
}
