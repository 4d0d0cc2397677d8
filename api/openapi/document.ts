import { z } from 'zod';
import { createDocument, type oas31, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiRequestBodyObject } from 'zod-openapi';
import { IDEMPOTENCY_HEADER } from '../../lib/http/idempotency.js';
import type { Operation, Success } from '../../lib/http/operation.js';
import { isMultipart, isStreamed, type RouteGroup, type Security } from '../../lib/http/route-group.js';
import { errorCodes, errorResponses } from './errors.js';

const securitySchemes = {
  scaikeyJwt: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A ScaiKey access token: `Authorization: Bearer <JWT>`, verified against the issuer\'s JWKS (issuer, audience = client id, expiry). Its `tenant` claim names the tenant, its `roles` the permissions. Not accepted when the deployment runs with SCAIWAVE_AUTH_MODE=api_key.',
  },
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'sgk_ API key',
    description: 'An API key made with POST /v1/api-keys: `Authorization: Bearer sgk_…`. It acts as the user who made it.',
  },
  serviceToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'The shared SCAIWAVE_SERVICE_TOKEN of the platform\'s own components (ScaiInfer nodes): `Authorization: Bearer <token>`.',
  },
} satisfies Record<string, oas31.SecuritySchemeObject>;

type Scheme = keyof typeof securitySchemes;
const either = (...schemes: Scheme[]): oas31.SecurityRequirementObject[] => schemes.map((s) => ({ [s]: [] }));

const security: Record<Security, oas31.SecurityRequirementObject[]> = {
  public: [],
  caller: either('scaikeyJwt', 'apiKey'),
  platform: either('serviceToken', 'scaikeyJwt', 'apiKey'),
  service: either('serviceToken'),
};

/** Koa's `/jobs/:id` is OpenAPI's `/jobs/{id}`. */
const openApiPath = (koaPath: string): string => koaPath.replace(/:(\w+)/g, '{$1}');

const binary = z.string().meta({ format: 'binary' });

const idempotencyHeader = z.object({
  [IDEMPOTENCY_HEADER]: z
    .string()
    .max(255)
    .optional()
    .meta({
      description:
        'A key of your choosing, one per logical request: a retry with it answers as the first request did (same resource, header `Idempotent-Replayed: true`), even while the first still runs. ' +
        'The same key with another request is 422 IDEMPOTENCY_KEY_REUSED; 409 IDEMPOTENCY_KEY_IN_USE when the first is still running past the wait.',
    }),
});

function requestBody(op: Operation): ZodOpenApiRequestBodyObject | undefined {
  if (!op.body) return undefined;
  if (isStreamed(op.body)) return { required: true, description: op.body.description, content: { [op.body.media]: { schema: binary } } };
  if (!isMultipart(op.body)) return { required: true, content: { 'application/json': { schema: op.body } } };
  const files = Object.fromEntries(Object.entries(op.body.files).map(([name, what]) => [name, binary.meta({ description: what })]));
  return { required: true, content: { 'multipart/form-data': { schema: op.body.fields.extend(files) } } };
}

const successResponse = (s: Success) =>
  'data' in s
    ? { description: s.description, content: { 'application/json': { schema: z.object({ success: z.literal(true), data: s.data }) } } }
    : 'media' in s
      ? { description: s.description, content: { [s.media]: { schema: s.schema } } }
      : { description: s.description, content: Object.fromEntries(Object.entries(s.content).map(([media, schema]) => [media, { schema }])) };

function operationObject(group: RouteGroup, op: Operation): ZodOpenApiOperationObject {
  const permission = op.permission ? `\n\nNeeds the ${op.permission.map((p) => `\`${p}\``).join(' or ')} permission.` : '';
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description || permission ? { description: `${op.description ?? ''}${permission}`.trim() } : {}),
    tags: [op.tag],
    security: security[group.security],
    requestParams: {
      ...(op.params ? { path: op.params as z.ZodObject } : {}),
      ...(op.query ? { query: op.query as z.ZodObject } : {}),
      ...(op.idempotent ? { header: idempotencyHeader } : {}),
    },
    ...(op.body ? { requestBody: requestBody(op) } : {}),
    responses: {
      ...Object.fromEntries(Object.entries(op.responses).map(([status, s]) => [status, successResponse(s!)])),
      ...errorResponses(errorCodes(group, op), group.errorBody),
    },
  };
}

export type OpenApiDocument = ReturnType<typeof createDocument>;

/** The OpenAPI 3.1 document of every operation of the groups, built from their declarations. */
export function openApiDocument(groups: readonly RouteGroup[]): OpenApiDocument {
  const paths: ZodOpenApiPathsObject = {};
  for (const group of groups) {
    for (const op of group.operations) {
      const item = (paths[openApiPath(op.path)] ??= {});
      if (item[op.method]) throw new Error(`${op.method.toUpperCase()} ${op.path} is declared twice`);
      item[op.method] = operationObject(group, op);
    }
  }
  const tags = [...new Set(groups.flatMap((g) => g.operations.map((o) => o.tag)))].map((name) => ({ name }));
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'scaiwave API',
      version: '1',
      description:
        'Every JSON answer is an envelope: `{"success": true, "data": …}`, or `{"success": false, "error": {"code", "message", "details"?}, "request_id"}`. ' +
        'Every answer carries `X-Request-Id`. A method a path does not take is 405 with `Allow`; a path no route serves is 404. ' +
        'Request bodies refuse fields they do not name; unknown query parameters are ignored.',
    },
    tags,
    paths,
    components: { securitySchemes },
  });
}
