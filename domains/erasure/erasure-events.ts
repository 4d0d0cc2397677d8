import type { NatsConnection } from 'nats';
import type { Config } from '../../lib/config.js';
import { publishOnce } from '../../lib/events/jetstream.js';

/**
 * `compliance.erasures.{tenant}.completed` once a user's erasure is done
 * (webhooks deliver it). The erasure's id only: never the user's, which the
 * erasure has just replaced everywhere by a pseudonym.
 */
export function publishErasureCompleted(nc: NatsConnection, config: Config, e: { id: string; tenantId: string; completedAt: Date | null }) {
  return publishOnce(nc, config, `compliance.erasures.${e.tenantId}.completed`, `erasure.${e.id}.completed`, {
    erasure_id: e.id,
    tenant_id: e.tenantId,
    status: 'completed',
    occurred_at: (e.completedAt ?? new Date()).toISOString(),
  });
}
