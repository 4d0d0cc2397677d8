import { AckPolicy, DeliverPolicy, connect } from 'nats';
import { streamName, subject } from '../../lib/infra/nats.js';
import { scaiechoJobsStream } from '../../lib/events/jetstream.js';
import { testConfig } from './stack.js';

export interface JobEvent {
  subject: string;
  data: { job_id: string; status: string; tenant_id: string; status_reason: string | null };
}

/** Every lifecycle event stored for a tenant, read with an ephemeral consumer as a subscriber would. */
export async function jobEvents(tenantId: string): Promise<JobEvent[]> {
  const config = testConfig();
  const nc = await connect({ servers: config.env.SCAIWAVE_NATS_URL.replace(/^nats:\/\//, '') });
  try {
    const jsm = await nc.jetstreamManager();
    const stream = streamName(config, scaiechoJobsStream.name);
    const filter = subject(config, `scaiecho.jobs.${tenantId}.>`);
    const ci = await jsm.consumers.add(stream, {
      filter_subject: filter,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      inactive_threshold: 30_000_000_000,
    });
    const consumer = await nc.jetstream().consumers.get(stream, ci.name);
    const out: JobEvent[] = [];
    const pending = ci.num_pending;
    if (pending > 0) {
      const batch = await consumer.fetch({ max_messages: pending, expires: 2000 });
      for await (const m of batch) {
        out.push({ subject: m.subject, data: m.json() });
        if (out.length >= pending) break;
      }
    }
    await jsm.consumers.delete(stream, ci.name);
    return out;
  } finally {
    await nc.close();
  }
}
