import type { Readable } from 'node:stream';
import type { ParameterizedContext } from 'koa';
import type { z } from 'zod';
import type { Permission } from '../auth/permissions.js';
import type { ErrorCode } from '../errors.js';
import type { ApiState } from './state.js';
import type { UploadedFile } from './upload.js';

// One route, declared once: the route group (route-group.ts) registers it on a
// Koa router with its checks ahead of the handler, and the OpenAPI document
// (openapi/document.ts) is built from the same declaration, so the contract a
// client reads is the one the server enforces.

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A multipart/form-data body: text fields checked by `fields`, and the named file parts, all required. */
export interface Multipart<F extends z.ZodObject = z.ZodObject> {
  fields: F;
  /** file part name → what it is */
  files: Record<string, string>;
  maxFileBytes: number;
}

/**
 * A body of one media type handed to the handler as the request stream, never
 * parsed or buffered here: an upload too large to hold, which the handler
 * streams on. A declared Content-Length over `maxBytes` is refused (413) before
 * the handler runs; the handler caps what it reads itself (a chunked body has
 * no length to check).
 */
export interface Streamed {
  media: string;
  description: string;
  maxBytes: number;
}

export type Body = z.ZodType | Multipart | Streamed;

/**
 * An answer of the route: JSON in the success envelope, another media type the
 * handler produces whole, or one of several (`content`, by media type) that the
 * request chooses and the reply names.
 */
export type Success =
  | { description: string; data: z.ZodType }
  | { description: string; media: string; schema: z.ZodType }
  | { description: string; content: Record<string, z.ZodType> };

export type Responses = Partial<Record<number, Success>>;

type ReplyOf<S, X> = X extends { data: infer D extends z.ZodType }
  ? { status: S; data: z.input<D> }
  : X extends { media: string }
    ? { status: S; body: unknown }
    : X extends { content: infer C }
      ? { status: S; media: keyof C & string; body: unknown; /** what the answer made, for an idempotent operation's replay */ resource?: string }
    : never;

/** What a handler returns: a status it declares, with the data its schema describes (or, for another media type, the body). */
export type Reply<R extends Responses> = { [S in keyof R & number]: ReplyOf<S, R[S]> }[keyof R & number];

type Parsed<T> = T extends Multipart<infer F>
  ? { fields: z.output<F>; files: Record<string, UploadedFile> }
  : T extends Streamed
    ? Readable
    : T extends z.ZodType
      ? z.output<T>
      : undefined;

interface Input<P, Q, B> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
}

export type Ctx = ParameterizedContext<ApiState>;

interface Declaration<P, Q, B, R extends Responses> {
  method: Method;
  /** Koa's form, `/v1/api-keys/:id`; every `:name` must be a key of `params` */
  path: string;
  /** what generated clients name the call */
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** the caller needs one of these (403 otherwise) */
  permission?: [Permission, ...Permission[]];
  params?: P;
  query?: Q;
  body?: B;
  responses: R;
  /** what the handler itself may answer with; the checks every route of its group runs add theirs (openapi/errors.ts) */
  errors?: ErrorCode[];
  /** Idempotency-Key honoured (lib/http/idempotency.ts): a retry with the key answers as the first request did */
  idempotent?: Idempotent<R, Input<P, Q, B>>;
}

/** How an operation that honours Idempotency-Key keeps its answer, and gives it again. */
export interface Idempotent<R extends Responses, I = unknown> {
  /** the id of what the answer made (a job, a message): all that is kept of it */
  resource(reply: Reply<R>): string;
  /** the answer again, for a retry (whose request is the first one's): what was made, as it stands now */
  replay(ctx: Ctx, answered: { status: number; resourceId: string }, input: I): Promise<Reply<R>>;
}

type Handler<P, Q, B, R extends Responses> = (ctx: Ctx, input: Input<P, Q, B>) => Promise<Reply<R>> | Reply<R>;

/** A declared route with its handler, as route groups and the document keep it. */
export interface Operation extends Declaration<z.ZodType | undefined, z.ZodType | undefined, Body | undefined, Responses> {
  handle(ctx: Ctx, input: Input<z.ZodType | undefined, z.ZodType | undefined, Body | undefined>): Promise<Reply<Responses>> | Reply<Responses>;
}

/**
 * Declares an operation; `.handle()` then takes its handler, typed by the
 * declaration: the parsed input, and a reply of a declared status with the data
 * its schema describes. (Two steps, so the statuses are fixed before the
 * handler is read, and its literal statuses are not widened.)
 */
export function operation<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends Body | undefined = undefined,
  R extends Responses = Responses,
>(declaration: Declaration<P, Q, B, R>): { handle(handler: Handler<P, Q, B, R>): Operation } {
  return { handle: (handle) => ({ ...declaration, handle }) as Operation };
}
