import type { WorkflowHandle } from '@temporalio/client';
import { createPayloadSealing } from '../../lib/codec/data-converter.js';
import { KEY_ID_METADATA, PayloadKeyDestroyedError, isSealed } from '../../lib/codec/payload-codec.js';
import type { Config } from '../../lib/config.js';

/**
 * A workflow's input as Temporal stores it, fetched through the Temporal API,
 * and whether a codec that has never seen it (a process started now: nothing
 * cached) can still open it, with the keys of the stack at `config`.
 */
export async function storedInput(config: Config, handle: WorkflowHandle): Promise<{ sealed: boolean; keyId: string; opens: boolean }> {
  const history = await handle.fetchHistory();
  const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  const fresh = createPayloadSealing(config);
  try {
    await fresh.codec.decode([input]);
    return { sealed: isSealed(input), keyId: Buffer.from(input.metadata?.[KEY_ID_METADATA] ?? []).toString(), opens: true };
  } catch (err) {
    if (!(err instanceof PayloadKeyDestroyedError)) throw err;
    return { sealed: true, keyId: err.keyId, opens: false };
  } finally {
    await fresh.close();
  }
}
