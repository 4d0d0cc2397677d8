import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { AppError } from '../lib/errors.js';

// The remote codec protocol's body, as the Temporal UI and CLI send it:
// {"payloads": [{"metadata": {"encoding": "<base64>", …}, "data": "<base64>"}]}.

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const b64 = z.string().regex(BASE64, { message: 'must be base64' });
const body = z.object({ payloads: z.array(z.object({ metadata: z.record(z.string(), b64).optional(), data: b64.optional() })).max(10_000) });

export type JsonPayload = { metadata?: Record<string, string>; data?: string };

export function payloadsFrom(input: unknown): Payload[] {
  const parsed = body.safeParse(input);
  if (!parsed.success) throw new AppError('VALIDATION_ERROR', `expected {"payloads": [{"metadata": {…}, "data": "…"}]}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data.payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  }));
}

export function payloadsJson(payloads: Payload[]): { payloads: JsonPayload[] } {
  return {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
      data: Buffer.from(p.data ?? []).toString('base64'),
    })),
  };
}
