import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import { Router } from '@koa/router';
import { createLogger, type Logger } from '../../lib/infra/logger.js';
import { bearerKeyCheck } from '../bearer-keys.js';
import { answerErrors } from '../error-answers.js';
import { logAppErrors } from '../hang-ups.js';
import { FaultSwitch } from '../stt/faults.js';
import { serveWithAdmin, type ReferenceHttpServer } from '../http-listeners.js';
import type { Embedder } from './embedder.js';
import { embeddingsRoute } from './embeddings-route.js';
import { INJECTABLE_STATUSES, OpenAiError } from './openai-errors.js';

// Reference ScaiGrid: the OpenAI-compatible router (/oai/v1) with embeddings
// from a real model (or, for benches of what surrounds it, an instant stand-in), `sgk_` API keys as Bearer tokens — or, as ScaiGrid does
// (seed 002), a user's ScaiKey JWT checked against ScaiKey's keys, so a call
// is the user's own — and an admin port whose
// fault switch makes it answer 429/5xx (with Retry-After), hold requests
// unanswered, or refuse connections, and whose /stats counts what reached it.

export interface ScaiGridOptions {
  port: number;
  adminPort: number;
  host?: string;
  apiKeys: string[];
  /** The model name served, as ScaiGrid's catalogue would list it. */
  model: string;
  maxBatch: number;
  embedder: Embedder;
  /** Checks a ScaiKey JWT, throwing if it is not one; absent, only the API keys are taken. */
  verifyJwt?: (token: string) => Promise<unknown>;
  logger?: Logger;
}

export type ScaiGrid = ReferenceHttpServer;

export const DEFAULT_MAX_BATCH = 256;

export async function createScaiGrid(opts: ScaiGridOptions): Promise<ScaiGrid> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger ?? createLogger('scaigrid');
  const knownKey = bearerKeyCheck(opts.apiKeys);
  const faults = new FaultSwitch();
  const startedAt = Math.floor(Date.now() / 1000);
  const stats = {
    requests: 0,
    served: 0,
    inputs_embedded: 0,
    unauthorized: 0,
    model_not_found: 0,
    rejected: 0,
    cancelled: 0,
    in_flight: 0,
    /** calls authenticated by an API key, and by a user's ScaiKey JWT */
    by_api_key: 0,
    by_user_token: 0,
  };
  const caller = async (authorization: string): Promise<'key' | 'user' | undefined> => {
    if (knownKey(authorization)) return 'key';
    const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (!token || !opts.verifyJwt) return undefined;
    return opts.verifyJwt(token).then(
      () => 'user' as const,
      () => undefined,
    );
  };

  const router = new Router({ prefix: '/oai/v1' });
  router.use(async (ctx, next) => {
    const who = await caller(ctx.get('authorization'));
    if (!who) {
      stats.unauthorized++;
      throw new OpenAiError(401, 'invalid_request_error', 'invalid_api_key', 'Incorrect API key provided: expected `Authorization: Bearer sgk_…` or a ScaiKey token.');
    }
    if (who === 'key') stats.by_api_key++;
    else stats.by_user_token++;
    await next();
  });
  router.post('/embeddings', embeddingsRoute({ model: opts.model, maxBatch: opts.maxBatch, embedder: opts.embedder, faults, stats }));
  router.get('/models', (ctx) => {
    ctx.body = { object: 'list', data: [{ id: opts.model, object: 'model', created: startedAt, owned_by: 'scaigrid' }] };
  });

  const app = new Koa();
  logAppErrors(app, log);
  app.use(
    answerErrors(stats, (err): err is OpenAiError => err instanceof OpenAiError, (ctx, err) => {
      if (err.status === 400) stats.rejected++;
      ctx.set(err.headers);
      ctx.body = err.body;
    }),
  );
  app.use(async (ctx, next) => {
    ctx.set('x-request-id', randomUUID());
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new OpenAiError(404, 'invalid_request_error', 'unknown_url', `Unknown request URL: ${ctx.method} ${ctx.path}.`);
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods());

  return serveWithAdmin(app, {
    apiPort: opts.port,
    port: opts.adminPort,
    host,
    faults,
    stats: () => ({ model: opts.model, engine: opts.embedder.engine, dimensions: opts.embedder.dimensions, max_batch: opts.maxBatch, ...stats }),
    failureStatuses: INJECTABLE_STATUSES,
  });
}
