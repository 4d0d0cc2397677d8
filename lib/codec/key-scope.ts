import type { Payload } from '@temporalio/common';
import { SUBJECT_KINDS, type DataSubject, type SubjectKind } from './data-subject.js';

// Which data key seals a payload, read from the payload itself: the codec has
// no other context (it sees payloads, not the workflow they belong to). A
// workflow input that carries a data subject's data names the subject in a
// top-level `dataSubject`, and is sealed with that subject's key, so erasing
// the subject (destroying the key) leaves it unreadable wherever it is kept.
// Otherwise a top-level `tenantId` picks the tenant's key; anything else takes
// the deployment's.

export type KeyScope = { scope: 'deployment'; id: '' } | { scope: 'tenant'; id: string } | { scope: SubjectKind; id: string };

export const DEPLOYMENT_SCOPE: KeyScope = { scope: 'deployment', id: '' };

const JSON_ENCODING = 'json/plain';
// Only payloads that can name a scope are parsed; the rest (most activity results) are not.
const MARKERS = [Buffer.from('"dataSubject"'), Buffer.from('"tenantId"')];
const ID = /^[A-Za-z0-9_-]{1,80}$/;

const isKind = (k: unknown): k is SubjectKind => (SUBJECT_KINDS as readonly unknown[]).includes(k);

export function keyScopeOf(payload: Payload): KeyScope {
  const data = payload.data;
  if (!data || Buffer.from(payload.metadata?.encoding ?? []).toString() !== JSON_ENCODING) return DEPLOYMENT_SCOPE;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (!MARKERS.some((m) => buf.includes(m))) return DEPLOYMENT_SCOPE;
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch {
    return DEPLOYMENT_SCOPE;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return DEPLOYMENT_SCOPE;
  const { dataSubject, tenantId } = value as { dataSubject?: Partial<DataSubject>; tenantId?: unknown };
  if (dataSubject && isKind(dataSubject.kind) && typeof dataSubject.id === 'string' && ID.test(dataSubject.id)) return { scope: dataSubject.kind, id: dataSubject.id };
  if (typeof tenantId === 'string' && ID.test(tenantId)) return { scope: 'tenant', id: tenantId };
  return DEPLOYMENT_SCOPE;
}
