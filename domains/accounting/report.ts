import type { Db } from '../../lib/infra/db.js';
import type { Prisma } from '../../lib/generated/prisma/client.js';
import type { UsageKind } from './usage.js';

// Reads what the accounting flush wrote to usage_daily. Up to one flush
// interval behind Redis; `flushed_at` says how far it reaches.

export const USAGE_GROUPS = ['day', 'user', 'kind'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

interface UsageQuery {
  tenantId: string;
  /** first and last UTC day, both included, as YYYY-MM-DD */
  from: string;
  to: string;
  kind?: UsageKind;
  groupBy: UsageGroup[];
}

interface UsageFigures {
  requests: number;
  tokens: number;
  audio_ms: number;
}

export interface UsageReport {
  tenant_id: string;
  from: string;
  to: string;
  kind: UsageKind | null;
  group_by: UsageGroup[];
  totals: UsageFigures;
  rows: (Partial<{ day: string; user_id: string; kind: string }> & UsageFigures)[];
  /** when the newest flush batch was applied: usage counted after it is not here yet */
  flushed_at: string | null;
}

const column = { day: 'day', user: 'userId', kind: 'kind' } as const;

interface Sums {
  _sum: { requests: bigint | null; tokens: bigint | null; audioMs: bigint | null };
}

const sortKey = (r: { day?: string; user_id?: string; kind?: string }): string =>
  `${r.day ?? ''}|${r.user_id ?? ''}|${r.kind ?? ''}`;

const figures = (s: Sums['_sum']): UsageFigures => ({
  requests: Number(s.requests ?? 0),
  tokens: Number(s.tokens ?? 0),
  audio_ms: Number(s.audioMs ?? 0),
});

export async function usageReport(db: Db, q: UsageQuery): Promise<UsageReport> {
  const where: Prisma.UsageDailyWhereInput = {
    tenantId: q.tenantId,
    day: { gte: new Date(`${q.from}T00:00:00Z`), lte: new Date(`${q.to}T00:00:00Z`) },
    ...(q.kind ? { kind: q.kind } : {}),
  };
  const _sum = { requests: true, tokens: true, audioMs: true } as const;
  const by = q.groupBy.map((g) => column[g]);
  const [total, grouped, last] = await Promise.all([
    db.usageDaily.aggregate({ where, _sum }),
    by.length === 0
      ? Promise.resolve([])
      : db.usageDaily.groupBy({ by, where, _sum }),
    db.usageFlushBatch.findFirst({ orderBy: { appliedAt: 'desc' }, select: { appliedAt: true } }),
  ]);
  return {
    tenant_id: q.tenantId,
    from: q.from,
    to: q.to,
    kind: q.kind ?? null,
    group_by: q.groupBy,
    totals: figures(total._sum),
    rows: (grouped as unknown as (Sums & { day?: Date; userId?: string; kind?: string })[])
      .map((g) => ({
        ...(g.day !== undefined ? { day: g.day.toISOString().slice(0, 10) } : {}),
        ...(g.userId !== undefined ? { user_id: g.userId } : {}),
        ...(g.kind !== undefined ? { kind: g.kind } : {}),
        ...figures(g._sum),
      }))
      .sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
    flushed_at: last?.appliedAt.toISOString() ?? null,
  };
}
