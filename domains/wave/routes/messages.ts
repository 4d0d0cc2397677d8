import { z } from 'zod';
import {
  deleteMessage,
  editMessage,
  EMOJI_MAX_CHARS,
  listMessages,
  MENTIONS_MAX,
  MESSAGE_MAX_CHARS,
  messageRevisions,
  postMessage,
  react,
  readMessage,
  reactionsOf,
  readThread,
  type Page,
} from '../messages.js';
import type { WaveMessage } from '../../../lib/generated/prisma/client.js';
import type { WaveRouteDeps } from './deps.js';
import { callerOf } from '../../../lib/http/auth.js';
import { operation } from '../../../lib/http/operation.js';
import { message, messageView, revision, revisionView, roomParams, waveId } from '../schemas.js';
import { isEmoji, line, lines } from '../../../lib/http/text.js';

const messageParams = z.object({ roomId: waveId('the room id'), messageId: waveId('the message id') });
const reactionParams = messageParams.extend({
  emoji: line()
    .min(1)
    .max(EMOJI_MAX_CHARS)
    .refine(isEmoji, { message: 'must be one emoji, or a short name between colons such as :thumbsup:' })
    .meta({ description: 'the reaction: one emoji, or a short name between colons such as :+1:' }),
});

const body = lines().min(1).max(MESSAGE_MAX_CHARS).refine((s) => s.trim().length > 0, { message: 'must not be blank' });
const newMessage = z.strictObject({
  body,
  mentions: z.array(waveId('a mentioned member')).max(MENTIONS_MAX).default([]).meta({ description: 'user ids, each a member of the room' }),
  thread_parent_id: waveId('reply in the thread of this top-level message').optional(),
});
const edit = z.strictObject({ body });

const seq = z.string().regex(/^(0|[1-9]\d{0,17})$/, { message: 'a message seq, as the list answers it (0: before the first)' }).transform(BigInt);
const pageQuery = z
  .object({
    before: seq.optional().meta({ description: 'older than this seq' }),
    after: seq.optional().meta({ description: 'newer than this seq' }),
    around: waveId('centred on this message id').optional(),
    limit: z.string().regex(/^\d{1,3}$/).transform(Number).pipe(z.number().int().min(1).max(100)).default(50),
  })
  .refine((q) => [q.before, q.after, q.around].filter((v) => v !== undefined).length <= 1, {
    message: 'give at most one of before, after and around',
  });

const page = z.object({
  messages: z.array(message).meta({ description: 'oldest first' }),
  has_older: z.boolean(),
  has_newer: z.boolean(),
});

export function waveMessageRoutes(deps: WaveRouteDeps) {
  const tag = 'wave messages';
  const withReactions = async (callerId: string, messages: WaveMessage[]) => {
    const reactions = await reactionsOf(deps.sql, callerId, messages.map((m) => m.id));
    return messages.map((m) => messageView(m, reactions));
  };
  return [
    operation({
      method: 'post',
      path: '/v1/wave/rooms/:roomId/messages',
      operationId: 'postMessage',
      summary: 'Post a message',
      tag,
      permission: ['wave:use'],
      params: roomParams,
      body: newMessage,
      responses: { 201: { description: 'posted', data: message } },
      errors: ['NOT_FOUND', 'FORBIDDEN', 'CONFLICT'],
      idempotent: {
        resource: (reply) => reply.data.id,
        replay: async (ctx, { resourceId }) => {
          const caller = callerOf(ctx.state);
          const [posted] = await withReactions(caller.userId, [await readMessage(deps, caller, ctx.params.roomId!, resourceId)]);
          return { status: 201 as const, data: posted! };
        },
      },
    }).handle(async (ctx, { params, body: b }) => {
      const posted = await postMessage(deps, callerOf(ctx.state), params.roomId, { body: b.body, mentions: b.mentions, threadParentId: b.thread_parent_id });
      return { status: 201, data: messageView(posted) };
    }),
    operation({
      method: 'get',
      path: '/v1/wave/rooms/:roomId/messages',
      operationId: 'listMessages',
      summary: "A page of the room's messages",
      description: 'The latest page, or the page before or after a seq, or around a message. Thread replies are read with the thread.',
      tag,
      permission: ['wave:use'],
      params: roomParams,
      query: pageQuery,
      responses: { 200: { description: 'the page', data: page } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params, query }) => {
      const caller = callerOf(ctx.state);
      const p: Page =
        query.before !== undefined
          ? { before: query.before, limit: query.limit }
          : query.after !== undefined
            ? { after: query.after, limit: query.limit }
            : query.around !== undefined
              ? { around: query.around, limit: query.limit }
              : { latest: true, limit: query.limit };
      const found = await listMessages(deps.sql, caller, params.roomId, p);
      return { status: 200, data: { messages: await withReactions(caller.userId, found.messages), has_older: found.hasOlder, has_newer: found.hasNewer } };
    }),
    operation({
      method: 'patch',
      path: '/v1/wave/rooms/:roomId/messages/:messageId',
      operationId: 'editMessage',
      summary: 'Edit a message (its author only)',
      tag,
      permission: ['wave:use'],
      params: messageParams,
      body: edit,
      responses: { 200: { description: 'edited; the earlier text is kept as a revision', data: message } },
      errors: ['NOT_FOUND', 'FORBIDDEN', 'CONFLICT'],
    }).handle(async (ctx, { params, body: b }) => {
      const caller = callerOf(ctx.state);
      const edited = await editMessage(deps, caller, params.roomId, params.messageId, b.body);
      return { status: 200, data: (await withReactions(caller.userId, [edited]))[0]! };
    }),
    operation({
      method: 'delete',
      path: '/v1/wave/rooms/:roomId/messages/:messageId',
      operationId: 'deleteMessage',
      summary: "Delete a message (its author, or the room's owners and admins)",
      tag,
      permission: ['wave:use'],
      params: messageParams,
      responses: { 200: { description: 'the tombstone: who deleted it and when, no text', data: message } },
      errors: ['NOT_FOUND', 'FORBIDDEN'],
    }).handle(async (ctx, { params }) => ({ status: 200, data: messageView(await deleteMessage(deps, callerOf(ctx.state), params.roomId, params.messageId)) })),
    operation({
      method: 'get',
      path: '/v1/wave/rooms/:roomId/messages/:messageId/thread',
      operationId: 'readThread',
      summary: 'A thread: its first message and the replies',
      tag,
      permission: ['wave:use'],
      params: messageParams,
      responses: { 200: { description: 'the thread, replies oldest first', data: z.object({ parent: message, replies: z.array(message) }) } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => {
      const caller = callerOf(ctx.state);
      const thread = await readThread(deps, caller, params.roomId, params.messageId);
      const [parent, ...replies] = await withReactions(caller.userId, [thread.parent, ...thread.replies]);
      return { status: 200, data: { parent: parent!, replies } };
    }),
    operation({
      method: 'get',
      path: '/v1/wave/rooms/:roomId/messages/:messageId/revisions',
      operationId: 'listMessageRevisions',
      summary: "A message's earlier texts (its author, and the room's owners and admins)",
      tag,
      permission: ['wave:use'],
      params: messageParams,
      responses: { 200: { description: 'oldest first', data: z.array(revision) } },
      errors: ['NOT_FOUND', 'FORBIDDEN'],
    }).handle(async (ctx, { params }) => ({
      status: 200,
      data: (await messageRevisions(deps, callerOf(ctx.state), params.roomId, params.messageId)).map(revisionView),
    })),
    ...([true, false] as const).map((on) =>
      operation({
        method: on ? 'put' : 'delete',
        path: '/v1/wave/rooms/:roomId/messages/:messageId/reactions/:emoji',
        operationId: on ? 'addReaction' : 'removeReaction',
        summary: on ? 'React to a message' : 'Take a reaction back',
        tag,
        permission: ['wave:use'],
        params: reactionParams,
        responses: { 200: { description: 'the message with its reactions', data: message } },
        errors: ['NOT_FOUND', 'FORBIDDEN', 'CONFLICT'],
      }).handle(async (ctx, { params }) => {
        const caller = callerOf(ctx.state);
        const current = await react(deps, caller, params.roomId, params.messageId, params.emoji, on);
        return { status: 200, data: (await withReactions(caller.userId, [current]))[0]! };
      }),
    ),
  ];
}
