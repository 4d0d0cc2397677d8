import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { TenantIdKey } from '../../../lib/temporal/search-attributes.js';
import { createPayloadSealing } from '../../../lib/codec/data-converter.js';
import { openPayloadsIn } from '../../../lib/codec/open-payloads.js';
import type { Config } from '../../../lib/config.js';
import { found, type Needle, type StoreScan, type TraceHit } from './needles.js';

// Every execution of the tenant the Temporal API lists (open and closed, all
// runs), through the API as an operator would: its id, search attributes and
// memo, and its whole history, every payload opened where its key still exists
// (sealed bytes would hide everything) and as stored where the key is gone. The erasure's
// own workflow is named by the user's id (one erasure per user) and carries ids
// and counts only: like the erasure's row, it is the record, left out, and the
// report says so; so is its id where another history names it (the speaker
// erasures it started name their parent).

/** Every byte string and text of a decoded proto message, for a plain search. */
function bytesOf(value: unknown, out: Buffer[] = [], seen = new Set<object>()): Buffer[] {
  if (typeof value === 'string') out.push(Buffer.from(value));
  else if (value instanceof Uint8Array) out.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  else if (value && typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    for (const v of Object.values(value)) bytesOf(v, out, seen);
  }
  return out;
}

/** The bytes with every occurrence of `cut` taken out. */
function without(b: Buffer, cut: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = b.indexOf(cut); at !== -1; at = b.indexOf(cut, from)) {
    parts.push(b.subarray(from, at));
    from = at + cut.length;
  }
  return from === 0 ? b : Buffer.concat([...parts, b.subarray(from)]);
}

/**
 * Payloads are opened by a codec of the scan's own, with nothing cached: what
 * it opens is what the keys stored now open, not what this process opened a
 * moment before the erasure destroyed them (lib/codec/payload-keys.ts).
 */
export async function scanTemporal(client: Client, config: Config, tenantId: string, ownWorkflowId: string, needles: readonly Needle[]): Promise<StoreScan> {
  const sealing = createPayloadSealing(config);
  try {
    return await scanWith(client, [sealing.codec], tenantId, ownWorkflowId, needles);
  } finally {
    await sealing.close();
  }
}

async function scanWith(client: Client, codecs: readonly PayloadCodec[], tenantId: string, ownWorkflowId: string, needles: readonly Needle[]): Promise<StoreScan> {
  const hits: TraceHit[] = [];
  let read = 0;
  let stillSealed = 0;
  for await (const wf of client.workflow.list({ query: `${TenantIdKey.name} = "${tenantId}"` })) {
    if (wf.workflowId === ownWorkflowId) continue;
    read += 1;
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    stillSealed += (await openPayloadsIn(history, codecs)).stillSealed + (await openPayloadsIn(wf.raw, codecs)).stillSealed;
    const own = Buffer.from(ownWorkflowId);
    const hitBy = new Set([...bytesOf(wf.raw), ...bytesOf(history)].flatMap((b) => found(without(b, own), needles)));
    for (const n of hitBy) hits.push({ store: 'temporal', where: `${wf.workflowId} run ${wf.runId}`, needle: n.label, count: 1 });
  }
  const skipped = [`${ownWorkflowId}: the erasure's own workflow (ids and counts only), and its id where other histories name it`];
  if (stillSealed > 0) skipped.push(`${stillSealed} payloads sealed under destroyed keys: unreadable by anyone`);
  return { store: 'temporal', read, hits, skipped };
}
