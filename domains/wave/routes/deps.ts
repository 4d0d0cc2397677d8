import type { RouteDeps } from '../../../lib/http/route-deps.js';
import type { EventBell } from '../event-bell.js';
import type { EventFeed } from '../event-feed.js';
import type { LongPolls } from '../long-poll.js';
import type { OutboxRelay } from '../outbox-relay.js';

/** ScaiWave's routes reach the room events of this process beside what every route has. */
export interface WaveRouteDeps extends RouteDeps {
  /** publishes room events; wake() it after a change commits (domains/wave/outbox-relay.ts) */
  outbox: OutboxRelay;
  /** wakes sync long-polls and WebSockets when a tenant's events are readable */
  bell: EventBell;
  /** one reader of the event log per tenant, feeding this process's WebSockets */
  feed: EventFeed;
  /** sync long-polls, fed by the feed */
  polls: LongPolls;
}
