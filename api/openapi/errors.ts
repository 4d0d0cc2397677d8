import { z } from 'zod';
import type { ZodOpenApiResponseObject } from 'zod-openapi';
import { statusOf, type ErrorCode } from '../../lib/errors.js';
import type { Operation } from '../../lib/http/operation.js';
import { isMultipart, isStreamed, type RouteGroup } from '../../lib/http/route-group.js';

const CODES = Object.keys(statusOf) as ErrorCode[];

/** What the checks ahead of a group's handlers can refuse with (route-group.ts, middleware/admit.ts, middleware/auth.ts). */
const bySecurity: Record<RouteGroup['security'], ErrorCode[]> = {
  public: [],
  // a refused credential, or too many requests of the tenant, the credential or failed ones of the address
  caller: ['UNAUTHORIZED', 'RATE_LIMITED'],
  platform: ['UNAUTHORIZED', 'FORBIDDEN', 'RATE_LIMITED'],
  service: ['UNAUTHORIZED', 'RATE_LIMITED'],
};

/**
 * Every code an operation can answer with: its own, its group's checks', and
 * those any request may meet (a fault, a draining instance, an overloaded one:
 * api/middleware/error-envelope.ts).
 */
export function errorCodes(group: RouteGroup, op: Operation): ErrorCode[] {
  const codes = new Set<ErrorCode>(['INTERNAL_ERROR', 'SERVICE_DRAINING', 'SERVICE_UNAVAILABLE', ...bySecurity[group.security], ...(op.errors ?? [])]);
  if (op.permission) codes.add('FORBIDDEN');
  if (op.idempotent) for (const c of ['IDEMPOTENCY_KEY_IN_USE', 'IDEMPOTENCY_KEY_REUSED'] as const) codes.add(c);
  if (op.params || op.query || op.body) codes.add('VALIDATION_ERROR');
  const sendsBody = op.method === 'post' || op.method === 'put' || op.method === 'patch';
  if (isMultipart(op.body) || isStreamed(op.body) || (group.parsesJson && sendsBody)) {
    for (const c of ['PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const) codes.add(c);
  }
  if (group.parsesJson && sendsBody) codes.add('INVALID_JSON');
  return CODES.filter((c) => codes.has(c));
}

const envelopes = new Map<number, z.ZodType>();

/** The error envelope with the codes of one status (api/middleware/error-envelope.ts writes it). */
function envelopeOf(status: number): z.ZodType {
  let schema = envelopes.get(status);
  if (!schema) {
    const codes = CODES.filter((c) => statusOf[c] === status) as [ErrorCode, ...ErrorCode[]];
    schema = z
      .object({
        success: z.literal(false),
        error: z.object({
          code: z.enum(codes),
          message: z.string().meta({ description: 'for people; clients branch on `code`' }),
          details: z
            .record(z.string(), z.unknown())
            .optional()
            .meta({ description: 'VALIDATION_ERROR: `fields`, each `{field, problem}`; UNPROCESSABLE_ENTITY: `problems`; 503 from /health: `checks`' }),
        }),
        request_id: z.string().meta({ description: 'the X-Request-Id of the answer' }),
      })
      .meta({ id: `Error${status}` });
    envelopes.set(status, schema);
  }
  return schema;
}

const retryAfter = z.string().meta({ description: 'seconds to wait before trying again' });

/** One response per status, naming the codes this operation answers with under it; `body` in place of the standard envelope when given. */
export function errorResponses(codes: ErrorCode[], body?: z.ZodType): Record<string, ZodOpenApiResponseObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) byStatus.set(statusOf[c], [...(byStatus.get(statusOf[c]) ?? []), c]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: list.join(' or '),
        content: { 'application/json': { schema: body ?? envelopeOf(status) } },
        ...(status === 429 ? { headers: z.object({ 'Retry-After': retryAfter }) } : {}),
        ...(status === 503 ? { headers: z.object({ 'Retry-After': retryAfter.optional() }) } : {}),
      },
    ]),
  );
}
