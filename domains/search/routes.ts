import { z } from 'zod';
import { searchMessages } from './message-search.js';
import { MAX_PAGE_SIZE, SEARCH_MODES } from '../../lib/search-index/search-index.js';
import type { SearchServices } from '../../lib/search-index/search-services.js';
import type { RouteDeps } from '../../lib/http/route-deps.js';
import { callerOf } from '../../lib/http/auth.js';
import { operation } from '../../lib/http/operation.js';
import { waveId } from '../wave/schemas.js';
import { line } from '../../lib/http/text.js';

const instant = (what: string) =>
  z.iso
    .datetime({ offset: true })
    .transform((s) => new Date(s))
    .optional()
    .meta({ description: what });

const searchQuery = z.object({
  q: line().min(1).max(500).refine((s) => s.trim().length > 0, { message: 'must not be blank' }).meta({ description: 'the words to look for' }),
  mode: z.enum(SEARCH_MODES).default('hybrid').meta({ description: 'hybrid: words and meaning; keyword: the words; semantic: the meaning' }),
  room: waveId('only this room (one the caller is in)').optional(),
  author: waveId('only messages of this user').optional(),
  before: instant('only messages posted before this instant (RFC 3339)'),
  after: instant('only messages posted after this instant (RFC 3339)'),
  limit: z.string().regex(/^\d{1,3}$/).transform(Number).pipe(z.number().int().min(1).max(MAX_PAGE_SIZE)).default(20),
  cursor: z.string().min(1).max(512).optional().meta({ description: "the answer's next_cursor, with the same search" }),
});

const hit = z.object({
  message_id: z.string(),
  room_id: z.string(),
  author_id: z.string(),
  created_at: z.iso.datetime(),
  score: z.number().meta({ description: 'higher is better; comparable within one search only' }),
  snippet: z.string().meta({ description: 'the text around the first match, each matched word between « and »' }),
});

/** The token of `Authorization: Bearer <token>` (the caller was resolved from it, so it is there). */
const bearerToken = (authorization: string): string | undefined => /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];

/** Search reaches the message index and the embedder beside what every route has. */
export type SearchRouteDeps = RouteDeps & { search: SearchServices };

export function waveSearchRoutes(deps: SearchRouteDeps) {
  return [
    operation({
      method: 'get',
      path: '/v1/wave/search',
      operationId: 'searchMessages',
      summary: 'Messages of the rooms the caller is in, by words, meaning or both',
      description:
        'Only rooms the caller is a member of now; a deleted message is never shown. A message is searchable shortly after it is posted or edited (indexing follows the room events).',
      tag: 'wave search',
      permission: ['wave:use'],
      query: searchQuery,
      responses: { 200: { description: 'the best matches first', data: z.object({ hits: z.array(hit), next_cursor: z.string().nullable() }) } },
      errors: ['NOT_FOUND', 'BACKEND_UNAVAILABLE'],
    }).handle(async (ctx, { query }) => {
      const caller = callerOf(ctx.state);
      const page = await searchMessages(deps.db, deps.sql, deps.search, caller, {
        text: query.q,
        userToken: caller.via === 'jwt' ? bearerToken(ctx.get('Authorization')) : undefined,
        mode: query.mode,
        roomId: query.room,
        authorId: query.author,
        before: query.before,
        after: query.after,
        limit: query.limit,
        cursor: query.cursor,
      });
      return {
        status: 200,
        data: {
          hits: page.hits.map((h) => ({
            message_id: h.messageId,
            room_id: h.roomId,
            author_id: h.authorId,
            created_at: h.createdAt.toISOString(),
            score: h.score,
            snippet: h.snippet,
          })),
          next_cursor: page.nextCursor,
        },
      };
    }),
  ];
}
