// Pure: workflow code imports it (child workflow inputs name their subject too).

export const SUBJECT_KINDS = ['user', 'speaker'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** Names whose data a workflow input carries; the typed start helpers set it. */
export interface DataSubject {
  kind: SubjectKind;
  id: string;
}

/**
 * What a workflow input adds when it carries a data subject's data: the codec
 * seals it under the subject's key (the tenant's when only tenantId is there).
 * Optional, so inputs written before the codec still type-check and replay.
 */
export interface SealedFor {
  tenantId?: string;
  dataSubject?: DataSubject;
}

export const sealedFor = (tenantId: string, dataSubject: DataSubject): Required<SealedFor> => ({ tenantId, dataSubject });
