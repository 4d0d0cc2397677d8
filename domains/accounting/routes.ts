import { z } from 'zod';
import { USAGE_GROUPS, usageReport, type UsageGroup } from './report.js';
import { USAGE_KINDS } from './usage.js';
import type { Db } from '../../lib/infra/db.js';
import { AppError } from '../../lib/errors.js';
import { callerOf } from '../../lib/http/auth.js';
import { operation } from '../../lib/http/operation.js';

const MAX_DAYS = 366;
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a UTC day as YYYY-MM-DD' });
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, { message: 'must be a month as YYYY-MM' });

const usageQuery = z.object({
  period: month.optional(),
  from: day.optional(),
  to: day.optional(),
  kind: z.enum(USAGE_KINDS).optional(),
  group_by: z
    .string()
    .default('kind')
    .meta({ description: `comma-separated, of ${USAGE_GROUPS.join(', ')}; empty for totals only` })
    .transform((v, ctx) => {
      const groups = v.split(',').map((g) => g.trim()).filter(Boolean);
      const bad = groups.filter((g) => !(USAGE_GROUPS as readonly string[]).includes(g));
      if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `unknown grouping ${bad.join(', ')}; use ${USAGE_GROUPS.join(', ')}` });
      return [...new Set(groups)] as UsageGroup[];
    }),
});

const isDay = (d: string): boolean => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);

/** A month, or from/to days; the current UTC month when neither is given. */
function periodOf(q: z.output<typeof usageQuery>, now = new Date()): { from: string; to: string } {
  if (q.period && (q.from || q.to)) throw new AppError('VALIDATION_ERROR', 'period: give either period or from/to, not both');
  const monthRange = (m: string) => {
    const [y, mo] = m.split('-').map(Number) as [number, number];
    return { from: `${m}-01`, to: new Date(Date.UTC(y, mo, 0)).toISOString().slice(0, 10) };
  };
  const range = q.period
    ? monthRange(q.period)
    : { from: q.from ?? `${now.toISOString().slice(0, 7)}-01`, to: q.to ?? now.toISOString().slice(0, 10) };
  for (const [name, d] of Object.entries(range)) if (!isDay(d)) throw new AppError('VALIDATION_ERROR', `${name}: ${d} is not a calendar day`);
  const days = (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000;
  if (days < 0) throw new AppError('VALIDATION_ERROR', 'to: must not be before from');
  if (days >= MAX_DAYS) throw new AppError('VALIDATION_ERROR', `to: a report covers at most ${MAX_DAYS} days`);
  return range;
}

const figures = { requests: z.number().int(), tokens: z.number().int(), audio_ms: z.number().int() };

const report = z
  .object({
    tenant_id: z.string(),
    from: z.string().meta({ description: 'first UTC day, YYYY-MM-DD' }),
    to: z.string().meta({ description: 'last UTC day, included' }),
    kind: z.enum(USAGE_KINDS).nullable(),
    group_by: z.array(z.enum(USAGE_GROUPS)),
    totals: z.object(figures),
    rows: z.array(
      z.object({
        day: z.string().optional(),
        user_id: z.string().optional(),
        kind: z.string().optional(),
        ...figures,
      }),
    ),
    flushed_at: z.iso.datetime().nullable().meta({ description: 'when the newest flush batch was applied: usage counted after it is not here yet' }),
  })
  .meta({ id: 'UsageReport' });

/** A tenant admin reads the tenant's flushed usage: by day, user and kind, over a month or a range of days. */
export function usageRoutes(db: Db) {
  return [
    operation({
      method: 'get',
      path: '/v1/admin/usage',
      operationId: 'getUsage',
      summary: "The tenant's usage over a month or a range of days",
      description: 'The current UTC month when neither `period` nor `from`/`to` is given; at most 366 days.',
      tag: 'usage',
      permission: ['admin:access'],
      query: usageQuery,
      responses: { 200: { description: 'totals, and rows by the chosen grouping', data: report } },
    }).handle(async (ctx, { query }) => {
      const { from, to } = periodOf(query);
      return { status: 200, data: await usageReport(db, { tenantId: callerOf(ctx.state).tenantId, from, to, kind: query.kind, groupBy: query.group_by }) };
    }),
  ];
}
