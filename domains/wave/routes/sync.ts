import { z } from 'zod';
import { latestCursor, SYNC_BATCH } from '../event-log.js';
import { listMembers } from '../membership.js';
import { PRESENCE, presenceOf, setPresence } from '../presence.js';
import { clientGone } from '../../../lib/http/client-gone.js';
import type { WaveRouteDeps } from './deps.js';
import { callerOf } from '../../../lib/http/auth.js';
import { operation } from '../../../lib/http/operation.js';
import { eventBatch, eventBatchView } from '../event-schemas.js';
import { roomParams } from '../schemas.js';

const cursor = z.string().regex(/^(0|[1-9]\d{0,17})$/, { message: 'a cursor as sync answered it' });

export function waveSyncRoutes(deps: WaveRouteDeps) {
  const tag = 'wave sync';
  const maxWaitMs = deps.config.env.SCAIWAVE_WAVE_SYNC_TIMEOUT_MS;
  const syncQuery = z.object({
    since: cursor.optional().meta({ description: "the last answer's cursor; absent, the answer is the current cursor and no events" }),
    wait_ms: z
      .string()
      .regex(/^\d{1,6}$/)
      .transform(Number)
      .pipe(z.number().int().min(0).max(maxWaitMs))
      .optional()
      .meta({ description: `how long to wait for an event when there is none yet (default and most: ${maxWaitMs})` }),
  });

  return [
    operation({
      method: 'get',
      path: '/v1/wave/sync',
      operationId: 'sync',
      summary: "The events of the caller's rooms since a cursor, waiting for one if there is none",
      description:
        'Long-poll: answers as soon as there are events, or empty at the end of `wait_ms`. Events are in order; resume with the answer\'s `cursor`. ' +
        'Only rooms the caller is a member of; message events come with the message as it is now. The same events reach `GET /v1/wave/ws` (WebSocket). ' +
        'Events are kept 30 days: an older cursor is answered 410 `CURSOR_EXPIRED`, and the client syncs again without one.',
      tag,
      permission: ['wave:use'],
      query: syncQuery,
      responses: { 200: { description: 'the events, and where to resume', data: eventBatch } },
      errors: ['CURSOR_EXPIRED'],
    }).handle(async (ctx, { query }) => {
      const caller = callerOf(ctx.state);
      if (query.since === undefined) {
        return { status: 200, data: { events: [], messages: [], cursor: await latestCursor(deps.sql, caller.tenantId) } };
      }
      // Read from the log once (an expired cursor refused there); a wait is fed by the process's one reader of the
      // tenant's events, as sockets are.
      const batch = await deps.polls.poll(caller, BigInt(query.since), SYNC_BATCH, Date.now() + (query.wait_ms ?? maxWaitMs), clientGone(ctx));
      return { status: 200, data: eventBatchView(batch) };
    }),
    operation({
      method: 'put',
      path: '/v1/wave/presence',
      operationId: 'setPresence',
      summary: "Say the caller is online or away (for a minute; say it again to stay)",
      tag,
      permission: ['wave:use'],
      body: z.strictObject({ status: z.enum(PRESENCE) }),
      responses: { 200: { description: 'noted', data: z.object({ status: z.enum(PRESENCE) }) } },
    }).handle(async (ctx, { body }) => {
      const caller = callerOf(ctx.state);
      await setPresence(deps.redis, caller.tenantId, caller.userId, body.status);
      return { status: 200, data: { status: body.status } };
    }),
    operation({
      method: 'get',
      path: '/v1/wave/rooms/:roomId/presence',
      operationId: 'roomPresence',
      summary: "Who of the room's members is online, away or offline",
      tag,
      permission: ['wave:use'],
      params: roomParams,
      responses: {
        200: { description: 'each member', data: z.array(z.object({ user_id: z.string(), status: z.enum([...PRESENCE, 'offline']) })) },
      },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => {
      const caller = callerOf(ctx.state);
      const members = await listMembers(deps, caller, params.roomId);
      const presence = await presenceOf(deps.redis, caller.tenantId, members.map((m) => m.userId));
      return { status: 200, data: members.map((m) => ({ user_id: m.userId, status: presence.get(m.userId) ?? 'offline' })) };
    }),
  ];
}
