import { setBudget, TENANT_WIDE, type UsageBudget } from '../../../domains/accounting/budgets.js';
import { withDb } from '../../connections.js';
import { notFound, print, printJson } from '../../support.js';
import { requireTenant } from './shared.js';

// What `scaiwave admin set-budget` does (arguments and help: commands/admin/budgets.ts),
// and how a budget reads in `list-tenants`.

export interface BudgetView {
  max_requests: number | null;
  max_tokens: number | null;
  max_audio_ms: number | null;
}

export const budgetView = (b: UsageBudget): BudgetView => ({
  max_requests: b.maxRequests === null ? null : Number(b.maxRequests),
  max_tokens: b.maxTokens === null ? null : Number(b.maxTokens),
  max_audio_ms: b.maxAudioMs === null ? null : Number(b.maxAudioMs),
});

export function describeBudget(b: BudgetView): string {
  const parts = [
    b.max_requests === null ? null : `${b.max_requests} req`,
    b.max_tokens === null ? null : `${b.max_tokens} tokens`,
    b.max_audio_ms === null ? null : `${b.max_audio_ms / 60_000} min audio`,
  ].filter((p) => p !== null);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

interface SetBudgetOptions {
  tenant: string;
  subject?: string;
  requests?: number;
  tokens?: number;
  audioMinutes?: number;
  json?: boolean;
}

export async function setBudgetCommand(opts: SetBudgetOptions): Promise<void> {
  const limits = {
    maxRequests: opts.requests ?? null,
    maxTokens: opts.tokens ?? null,
    maxAudioMs: opts.audioMinutes === undefined ? null : opts.audioMinutes * 60_000,
  };
  const clear = Object.values(limits).every((v) => v === null);
  const { tenant, scope, budget } = await withDb(async ({ db }) => {
    const tenant = await requireTenant(db, opts.tenant);
    let userId = TENANT_WIDE;
    if (opts.subject !== undefined) {
      const user = await db.user.findUnique({
        where: { tenantId_scaikeySubject: { tenantId: tenant.id, scaikeySubject: opts.subject } },
        select: { id: true },
      });
      if (!user) throw notFound(`user "${opts.subject}" not found in tenant "${tenant.slug}"`);
      userId = user.id;
    }
    const scope = opts.subject === undefined ? `tenant "${tenant.slug}"` : `user "${opts.subject}" of tenant "${tenant.slug}"`;
    if (clear) {
      await db.usageBudget.deleteMany({ where: { tenantId: tenant.id, userId } });
      return { tenant, scope, budget: null };
    }
    return { tenant, scope, budget: budgetView(await setBudget(db, tenant.id, limits, userId)) };
  });
  if (opts.json) {
    printJson({ tenant: tenant.slug, subject: opts.subject ?? null, budget });
    return;
  }
  print(budget ? `Monthly budget of ${scope}: ${describeBudget(budget)}` : `Removed the monthly budget of ${scope}; usage is unlimited`);
}
