import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa, { type Context } from 'koa';
import cors from '@koa/cors';
import Router from '@koa/router';
import coBody from 'co-body';
import { errorEnvelope } from '../api/middleware/error-envelope.js';
import { requestId } from '../api/middleware/request-id.js';
import { securityHeaders } from '../api/middleware/security-headers.js';
import { createCallerResolver } from '../lib/auth/caller.js';
import type { Caller } from '../lib/auth/caller-identity.js';
import { jwtVerifierFor } from '../lib/auth/jwt-verifier.js';
import { createPayloadSealing } from '../lib/codec/data-converter.js';
import { PayloadKeyDestroyedError, isSealed, sealedKeyId } from '../lib/codec/payload-codec.js';
import type { Config } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
import { createDb } from '../lib/infra/db.js';
import type { Logger } from '../lib/infra/logger.js';
import type { ApiState } from '../lib/http/state.js';
import { auditDecode } from './audit.js';
import { signInPage, signedInPage } from './pages.js';
import { payloadsFrom, payloadsJson } from './payloads-json.js';
import { CodecSessions, SESSION_COOKIE, SESSION_MS } from './sessions.js';

// `scaiwave codec-server`: the Temporal UI's "Remote Codec Endpoint" (and the
// temporal CLI's --codec-endpoint). It opens sealed payloads (lib/codec/) for
// platform operators only, each decode audited (payload_decode_audit); to
// anyone else, and for payloads whose key was destroyed, the UI shows what
// Temporal stores: ciphertext. The browser calls it cross-origin from the UI,
// so only the UI's origins are allowed, with credentials (the session cookie).

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

const OPERATOR_PERMISSION = 'platform:operate';
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function startCodecServer(config: Config, logger: Logger, opts: { port?: number } = {}): Promise<CodecServer> {
  const e = config.env;
  const db = createDb(config.db);
  const verifier = jwtVerifierFor(e);
  const callers = createCallerResolver({ db, verifier, authMode: e.SCAIWAVE_AUTH_MODE, platformTenant: e.SCAIWAVE_PLATFORM_TENANT });
  const sealing = createPayloadSealing(config);
  const sessions = new CodecSessions();
  const origins = new Set(e.SCAIWAVE_CODEC_CORS_ORIGINS);

  /** The operator behind the request: a bearer (the UI's "pass access token", the CLI's --codec-auth) or the session cookie. */
  async function operatorOf(authorization: string, sessionId: string | undefined): Promise<Caller> {
    const caller = authorization ? await callers.resolve(authorization) : sessions.callerOf(sessionId);
    if (!caller) throw new AppError('UNAUTHORIZED', 'sign in as an operator first: open this server in the browser, or send Authorization: Bearer <operator credential>');
    if (!caller.permissions.has(OPERATOR_PERMISSION)) throw new AppError('FORBIDDEN', 'only platform operators may decode payloads');
    return caller;
  }
  const operator = (ctx: Context): Promise<Caller> => operatorOf(ctx.get('Authorization'), ctx.cookies.get(SESSION_COOKIE));

  const router = new Router<ApiState>();
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    ctx.body = signInPage();
  });
  router.post('/session', async (ctx) => {
    const form = (await coBody.form(ctx.req, { limit: '16kb' })) as { credential?: unknown };
    const credential = typeof form.credential === 'string' ? form.credential.trim() : '';
    if (!credential) throw new AppError('VALIDATION_ERROR', 'credential is required');
    const caller = await operatorOf(`Bearer ${credential}`, undefined);
    ctx.cookies.set(SESSION_COOKIE, sessions.open(caller), { httpOnly: true, sameSite: 'strict', maxAge: SESSION_MS, overwrite: true });
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
    ctx.body = signedInPage(caller, `${ctx.protocol}://${ctx.host}`, e.SCAIWAVE_TEMPORAL_UI_URL);
  });
  router.post('/decode', async (ctx) => {
    const caller = await operator(ctx);
    const payloads = payloadsFrom(await coBody.json(ctx.req, { limit: MAX_BODY_BYTES, strict: true }));
    const keyIds = new Set<string>();
    let decoded = 0;
    const out = await Promise.all(
      payloads.map(async (p) => {
        if (!isSealed(p)) return p;
        keyIds.add(sealedKeyId(p));
        try {
          const opened = await sealing.codec.open(p);
          decoded += 1;
          return opened;
        } catch (err) {
          // Destroyed with its subject: shown as Temporal keeps it, sealed for good.
          if (err instanceof PayloadKeyDestroyedError) return p;
          throw err;
        }
      }),
    );
    await auditDecode(db, caller, { namespace: ctx.get('X-Namespace') || e.SCAIWAVE_TEMPORAL_NAMESPACE, payloads: payloads.length, decoded, keyIds: [...keyIds] });
    ctx.body = payloadsJson(out);
  });
  router.post('/encode', async (ctx) => {
    await operator(ctx);
    ctx.body = payloadsJson(await sealing.codec.encode(payloadsFrom(await coBody.json(ctx.req, { limit: MAX_BODY_BYTES, strict: true }))));
  });

  const app = new Koa<ApiState>();
  app.proxy = false;
  app.use(securityHeaders());
  app.use(requestId());
  app.use(errorEnvelope(logger));
  app.use(
    cors({
      origin: (ctx) => (origins.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
      credentials: true,
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['Content-Type', 'Authorization', 'X-Namespace'],
    }),
  );
  app.use(router.routes());
  app.use(router.allowedMethods());

  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? e.SCAIWAVE_CODEC_SERVER_PORT, e.SCAIWAVE_HOST, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = e.SCAIWAVE_HOST === '0.0.0.0' ? '127.0.0.1' : e.SCAIWAVE_HOST;
  return {
    url: `http://${host}:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.allSettled([sealing.close(), db.$disconnect()]);
    },
  };
}
