import { DeliverPolicy } from 'nats';
import type { Config } from '../../../lib/config.js';
import type { NatsHandle } from '../../../lib/infra/nats-handle.js';
import { streamName } from '../../../lib/infra/nats.js';
import { EVENT_STREAMS } from '../../streams.js';
import { found, type Needle, type StoreScan, type TraceHit } from './needles.js';

// Every message every event stream still stores, subject, headers and data,
// read with an ordered consumer (no state left on the server) up to the last
// sequence the stream held when the scan began.

const FETCH = 1000;

export async function scanJetStream(nats: Pick<NatsHandle, 'get'>, config: Config, needles: readonly Needle[]): Promise<StoreScan> {
  const hits: TraceHit[] = [];
  let read = 0;
  const conn = nats.get();
  const jsm = await conn.jetstreamManager();
  for (const spec of EVENT_STREAMS) {
    const stream = streamName(config, spec.name);
    const { state } = await jsm.streams.info(stream);
    if (state.messages === 0) continue;
    const consumer = await conn.jetstream().consumers.get(stream, { opt_start_seq: state.first_seq, deliver_policy: DeliverPolicy.StartSequence });
    let seq = 0;
    while (seq < state.last_seq) {
      const batch = await consumer.fetch({ max_messages: FETCH, expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        got += 1;
        read += 1;
        seq = m.seq;
        const text = Buffer.concat([Buffer.from(m.subject), Buffer.from(m.headers?.toString() ?? ''), Buffer.from(m.data)]);
        for (const n of found(text, needles)) hits.push({ store: 'jetstream', where: `${stream} seq ${m.seq}`, needle: n.label, count: 1 });
        if (m.seq >= state.last_seq) break;
      }
      if (got === 0) break;
    }
  }
  return { store: 'jetstream', read, hits, skipped: [] };
}
