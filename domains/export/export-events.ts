import type { NatsConnection } from 'nats';
import type { Config } from '../../lib/config.js';
import { publishOnce } from '../../lib/events/jetstream.js';

/**
 * `compliance.exports.{tenant}.completed` once an export's bundle is whole
 * (webhooks deliver it). Ids only; the message id makes a retried publish one event.
 */
export function publishExportCompleted(nc: NatsConnection, config: Config, e: { id: string; tenantId: string; roomId: string; completedAt: Date | null }) {
  return publishOnce(nc, config, `compliance.exports.${e.tenantId}.completed`, `export.${e.id}.completed`, {
    export_id: e.id,
    tenant_id: e.tenantId,
    room_id: e.roomId,
    status: 'completed',
    occurred_at: (e.completedAt ?? new Date()).toISOString(),
  });
}
