import type { Payload, PayloadCodec } from '@temporalio/common';
import { PayloadKeyDestroyedError, isSealed } from './payload-codec.js';

// Histories and workflow descriptions hold payloads at every depth (inputs,
// results, signals, memo, failure details). What reads them whole, the
// erasure's trace scan and the saved test histories, opens every sealed one
// it can: a scan of sealed bytes would find nothing and prove nothing.

const isPayload = (v: object): v is Payload => {
  const p = v as Payload;
  return p.metadata !== null && typeof p.metadata === 'object' && p.metadata?.encoding instanceof Uint8Array;
};

/**
 * Replaces, in place, every payload in `value` by what `fn` answers for it
 * (undefined: left as it is). Search attributes are never sealed (Temporal
 * indexes them), so they are not looked into.
 */
export async function mapPayloadsIn(value: unknown, fn: (p: Payload) => Promise<Payload | undefined>): Promise<void> {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
  const slots = value as Record<string, unknown>;
  for (const k of Object.keys(slots)) {
    if (k === 'searchAttributes') continue;
    const child = slots[k];
    if (child !== null && typeof child === 'object' && isPayload(child)) {
      const next = await fn(child);
      if (next) slots[k] = { ...child, metadata: next.metadata, data: next.data };
    } else {
      await mapPayloadsIn(child, fn);
    }
  }
}

export interface Opened {
  /** sealed payloads left as they are because their key is destroyed: their subject was erased */
  stillSealed: number;
}

/** Opens, in place, every sealed payload in `value` whose key still exists (through a client's codecs, last first, as the SDK decodes). */
export async function openPayloadsIn(value: unknown, codecs: readonly PayloadCodec[]): Promise<Opened> {
  const out: Opened = { stillSealed: 0 };
  await mapPayloadsIn(value, async (p) => {
    if (!isSealed(p)) return undefined;
    try {
      let opened = p;
      for (const codec of [...codecs].reverse()) opened = (await codec.decode([opened]))[0]!;
      return opened;
    } catch (err) {
      if (!(err instanceof PayloadKeyDestroyedError)) throw err;
      out.stillSealed += 1;
      return undefined;
    }
  });
  return out;
}
