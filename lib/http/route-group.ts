import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { z } from 'zod';
import { AppError } from '../errors.js';
import { jsonBody } from './body.js';
import type { Body, Ctx, Multipart, Operation, Reply, Responses, Streamed } from './operation.js';
import type { ApiState } from './state.js';
import { callerOf, requirePermission } from './auth.js';
import { clientGone } from './client-gone.js';
import { IDEMPOTENCY_HEADER, idempotencyKeyOf, keySlot, requestHash, type IdempotencyKeys } from './idempotency.js';
import { receiveMultipart, type UploadedFile } from './upload.js';
import { parse, pathParams } from './validate.js';

/**
 * Who may call a group's routes, as its router's own middleware checks it:
 * anyone; a tenant's caller (ScaiKey JWT or sgk_ key); a platform operator
 * (the service token, or a caller holding platform:operate); the service token only.
 */
export type Security = 'public' | 'caller' | 'platform' | 'service';

/**
 * A Koa router whose routes are all declared operations: each is registered
 * with its permission check and its request checks ahead of the handler, and
 * kept for the OpenAPI document. The group's own middleware (authentication,
 * rate limits, audit) goes on `router` before the operations are added.
 */
export class RouteGroup {
  readonly router = new Router<ApiState>();
  readonly operations: Operation[] = [];
  /** whether JSON bodies are parsed (and so may be refused as too large, not JSON or malformed) */
  parsesJson = false;
  /** the body of its refusals, for the OpenAPI document, when not the standard envelope (api/middleware/error-envelope.ts) */
  errorBody: z.ZodType | undefined;
  /** where the Idempotency-Keys of its operations that honour them are kept */
  private idempotencyKeys: IdempotencyKeys | undefined;

  constructor(readonly security: Security) {}

  /** the media types of the group's streamed bodies, which the JSON parser leaves alone */
  private readonly streamedMedia = new Set<string>();

  /** JSON bodies are parsed from here on; multipart uploads and streamed bodies are read by their routes. */
  parseJsonBodies(limitBytes: number): this {
    const streamed = (ctx: Context) => this.streamedMedia.size > 0 && ctx.is([...this.streamedMedia]) !== false;
    this.router.use(jsonBody(limitBytes, (ctx) => !ctx.is('multipart/form-data') && !streamed(ctx)));
    this.parsesJson = true;
    return this;
  }

  /** Operations declared `idempotent` honour Idempotency-Key from here on, kept in `keys`. */
  keepIdempotencyKeys(keys: IdempotencyKeys): this {
    this.idempotencyKeys = keys;
    return this;
  }

  add(...ops: Operation[]): this {
    for (const op of ops) {
      const undeclared = [...op.path.matchAll(/:(\w+)/g)].map((m) => m[1]!).filter((name) => !hasKey(op.params, name));
      if (undeclared.length > 0) throw new Error(`${op.operationId}: path parameters ${undeclared.join(', ')} have no schema`);
      this.operations.push(op);
      if (isStreamed(op.body)) this.streamedMedia.add(op.body.media);
      const guards = op.permission ? [requirePermission(...op.permission)] : [];
      this.router[op.method](op.path, ...guards, run(op, this.idempotencyKeys));
    }
    return this;
  }
}

const hasKey = (schema: z.ZodType | undefined, key: string): boolean =>
  !!schema && 'shape' in schema && typeof schema.shape === 'object' && schema.shape !== null && key in schema.shape;

export const isMultipart = (body: Body | undefined): body is Multipart => !!body && 'files' in body && 'maxFileBytes' in body;
export const isStreamed = (body: Body | undefined): body is Streamed => !!body && 'media' in body && 'maxBytes' in body;

type Input = Parameters<Operation['handle']>[1];

/** Every check the declaration names runs before the handler; a refused request never reaches it. */
function run(op: Operation, keys: IdempotencyKeys | undefined): Middleware<ApiState> {
  return async (ctx) => {
    const params = op.params && parse(op.params, pathParams(op.path, (ctx as Ctx & { captures?: string[] }).captures ?? []));
    const query = op.query && parse(op.query, ctx.query);
    const { body } = op;
    if (isStreamed(body)) {
      await runStreamed(ctx, op, body, params, query);
      return;
    }
    // Sent empty is sent: refused, never taken for no key.
    const key = op.idempotent && idempotencyKeyOf(IDEMPOTENCY_HEADER.toLowerCase() in ctx.headers ? ctx.get(IDEMPOTENCY_HEADER) : undefined);
    if (!key || !op.idempotent) {
      await withInput(ctx, body, { params, query }, async (input) => answer(ctx, op.responses, await op.handle(ctx, input)));
      return;
    }
    if (!keys) throw new Error(`${op.operationId} honours ${IDEMPOTENCY_HEADER} in a group that keeps no keys`);
    const { resource, replay } = op.idempotent;
    const slot = keySlot(op.operationId, callerOf(ctx.state), key);
    // Claimed before the body is read: a retry sent while the first request still uploads waits for its answer.
    const claim = await keys.claim(slot);
    try {
      await withInput(ctx, body, { params, query }, async (input) => {
        const earlier = await keys.settle(slot, claim, requestHash(requestOf(input)), clientGone(ctx), async () => {
          const reply = await op.handle(ctx, input);
          answer(ctx, op.responses, reply);
          return { status: reply.status, resourceId: resource(reply) };
        });
        if (!earlier) return;
        answer(ctx, op.responses, await replay(ctx, earlier, input));
        ctx.set('Idempotent-Replayed', 'true');
      });
    } catch (err) {
      await keys.release(slot, claim);
      throw err;
    }
  };
}

/** The request's parsed body handed to `use`; an upload's temporary files are gone once it returns. */
async function withInput(ctx: Ctx, body: Exclude<Body, Streamed> | undefined, { params, query }: Omit<Input, 'body'>, use: (input: Input) => Promise<void>): Promise<void> {
  if (!isMultipart(body)) {
    await use({ params, query, body: body && parse(body, ctx.request.body) });
    return;
  }
  const upload = await receiveMultipart(ctx, { maxFileBytes: body.maxFileBytes, fileFields: Object.keys(body.files) }).catch((err: unknown) => {
    // The rest of a refused upload is not read: the connection cannot carry another request.
    ctx.set('Connection', 'close');
    throw err;
  });
  try {
    for (const [name, what] of Object.entries(body.files)) {
      if (!upload.files[name]) throw new AppError('VALIDATION_ERROR', `${name}: ${what} is required`, { fields: [{ field: name, problem: 'required' }] });
    }
    await use({ params, query, body: { fields: parse(body.fields, upload.fields), files: upload.files } });
  } finally {
    await upload.cleanup();
  }
}

/** What a retry must repeat: an upload by its files' content and names, not where this request put them. */
function requestOf({ params, query, body }: Input): unknown {
  const files = body && typeof body === 'object' && 'files' in body ? (body.files as Record<string, UploadedFile>) : undefined;
  if (!files) return { params, query, body };
  const described = Object.fromEntries(Object.entries(files).map(([name, f]) => [name, { sha256: f.sha256, bytes: f.bytes, filename: f.filename }]));
  return { params, query, body: { fields: (body as { fields: unknown }).fields, files: described } };
}

/** A streamed body: its type and declared length are checked before the handler reads a byte of it. */
async function runStreamed(ctx: Ctx, op: Operation, body: Streamed, params: unknown, query: unknown): Promise<void> {
  try {
    if (!ctx.is(body.media)) throw new AppError('UNSUPPORTED_MEDIA_TYPE', `send the request body as ${body.media}`);
    if (ctx.request.length > body.maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', `the request body is larger than ${body.maxBytes} bytes`);
    answer(ctx, op.responses, await op.handle(ctx, { params, query, body: ctx.req }));
  } catch (err) {
    if (ctx.req.readableEnded) throw err;
    // The client hung up mid-body: its own doing, not our failure (lib/http/body.ts says the same of JSON).
    if (ctx.req.destroyed && !(err instanceof AppError)) throw new AppError('CLIENT_CLOSED_REQUEST', 'the client closed the request before its body was read');
    // Whatever of the body is left unread stays so: the connection cannot carry another request.
    ctx.set('Connection', 'close');
    throw err;
  }
}

/**
 * The answer goes out through its declared schema: what a client receives is
 * what the document promises, and a handler answering otherwise is a 500
 * logged with the mismatch rather than a silent break of the contract.
 */
function answer(ctx: Ctx, responses: Responses, reply: Reply<Responses>): void {
  const declared = responses[reply.status];
  if (!declared) throw new Error(`${ctx.method} ${ctx.path} answered ${reply.status}, which it does not declare`);
  ctx.status = reply.status;
  if ('data' in declared && 'data' in reply) {
    ctx.body = { success: true, data: declared.data.parse(reply.data) };
  } else if ('media' in declared && 'body' in reply) {
    // A handler may name the type more closely (parameters such as a format version).
    if (!ctx.response.is(declared.media)) ctx.type = declared.media;
    ctx.body = reply.body;
  } else if ('content' in declared && 'media' in reply && Object.hasOwn(declared.content, reply.media)) {
    ctx.type = reply.media;
    ctx.body = reply.body;
  } else {
    throw new Error(`${ctx.method} ${ctx.path} answered ${reply.status} in a form it does not declare`);
  }
}
