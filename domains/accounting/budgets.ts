import type { Db } from '../../lib/infra/db.js';
import { AppError } from '../../lib/errors.js';
import type { UsageBudget } from '../../lib/generated/prisma/client.js';
import type { Redis } from '../../lib/infra/redis.js';
import { METRICS, monthOf, monthTotals, type Amounts, type Metric } from './usage.js';

// Budgets cap a tenant's (and optionally one user's) usage per calendar month
// (UTC). The check runs before any upstream work, against the month-to-date
// totals Redis keeps as events arrive, so it does not wait for a flush.

export type { UsageBudget };

/** user_id of the row that caps the tenant as a whole. */
export const TENANT_WIDE = '';

const limitColumn: Record<Metric, 'maxRequests' | 'maxTokens' | 'maxAudioMs'> = {
  requests: 'maxRequests',
  tokens: 'maxTokens',
  audio_ms: 'maxAudioMs',
};

const unitOf: Record<Metric, (n: number) => string> = {
  requests: (n) => (n === 1 ? '1 request' : `${n} requests`),
  tokens: (n) => (n === 1 ? '1 token' : `${n} tokens`),
  audio_ms: (n) => `${Number((n / 1000).toFixed(1))} s of audio`,
};

interface BudgetCaller {
  tenantId: string;
  userId: string;
}

/**
 * Throws 402 BUDGET_EXCEEDED when this request, with the amounts it is known
 * to cost (`expected`, e.g. its audio length), would take the tenant or the
 * user past a monthly cap.
 */
export async function checkBudget(
  db: Db,
  redis: Redis,
  caller: BudgetCaller,
  expected: Partial<Amounts>,
  now = new Date(),
): Promise<void> {
  const budgets = await db.usageBudget.findMany({
    where: { tenantId: caller.tenantId, userId: { in: [TENANT_WIDE, caller.userId] } },
  });
  if (budgets.length === 0) return;
  const used = await monthTotals(redis, caller.tenantId, now, caller.userId);
  for (const b of budgets) {
    const scope = b.userId === TENANT_WIDE ? 'tenant' : 'user';
    const spent = scope === 'tenant' ? used.tenant : used.user!;
    for (const m of METRICS) {
      const limit = b[limitColumn[m]];
      if (limit === null) continue;
      const after = spent[m] + (expected[m] ?? 0);
      if (after > Number(limit)) {
        const period = monthOf(now);
        throw new AppError(
          'BUDGET_EXCEEDED',
          `the ${scope}'s monthly budget of ${unitOf[m](Number(limit))} for ${period} would be exceeded ` +
            `(${unitOf[m](spent[m])} used, this request needs ${unitOf[m](expected[m] ?? 0)})`,
          { scope, metric: m, limit: Number(limit), used: spent[m], requested: expected[m] ?? 0, period },
        );
      }
    }
  }
}

interface BudgetLimits {
  maxRequests?: number | null;
  maxTokens?: number | null;
  maxAudioMs?: number | null;
}

/** Creates or replaces a budget; `userId` omitted caps the tenant as a whole. */
export function setBudget(db: Db, tenantId: string, limits: BudgetLimits, userId = TENANT_WIDE): Promise<UsageBudget> {
  const data = {
    maxRequests: limits.maxRequests ?? null,
    maxTokens: limits.maxTokens ?? null,
    maxAudioMs: limits.maxAudioMs ?? null,
  };
  return db.usageBudget.upsert({
    where: { tenantId_userId: { tenantId, userId } },
    create: { tenantId, userId, ...data },
    update: data,
  });
}
