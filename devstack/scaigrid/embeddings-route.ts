import coBody from 'co-body';
import type Koa from 'koa';
import { z } from 'zod';
import { hangUpSignal } from '../hang-ups.js';
import type { FaultSwitch } from '../stt/faults.js';
import type { Embedder } from './embedder.js';
import { injectedFailure, invalidRequest, OpenAiError } from './openai-errors.js';

// POST /oai/v1/embeddings as OpenAI's API defines it: `input` a string or an
// array of strings, `encoding_format` float or base64 (little-endian float32),
// data in input order with its index, usage in tokens.

export interface EmbeddingsRouteOptions {
  /** The one model name served; any other is 404 model_not_found. */
  model: string;
  maxBatch: number;
  embedder: Embedder;
  faults: FaultSwitch;
  stats: { served: number; inputs_embedded: number; model_not_found: number; cancelled: number };
}

const embeddingRequest = z.object({
  input: z.union([z.string(), z.array(z.string())], { message: 'input must be a string or an array of strings' }),
  model: z.string({ message: 'model must be a string' }),
  encoding_format: z.enum(['float', 'base64'], { message: 'encoding_format must be "float" or "base64"' }).default('float'),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});

/** The request's texts, or the 400 or 404 OpenAI would answer for it. */
async function parse(ctx: Koa.Context, opts: EmbeddingsRouteOptions): Promise<z.infer<typeof embeddingRequest> & { texts: string[] }> {
  const body: unknown = await coBody.json(ctx, { limit: '16mb' }).catch(() => {
    throw invalidRequest('the body must be a JSON object');
  });
  const parsed = embeddingRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalidRequest(issue.message, issue.path.join('.') || null);
  }
  const req = parsed.data;
  if (req.model !== opts.model) {
    opts.stats.model_not_found++;
    throw new OpenAiError(404, 'invalid_request_error', 'model_not_found', `The model \`${req.model}\` does not exist or you do not have access to it.`, 'model');
  }
  const texts = typeof req.input === 'string' ? [req.input] : req.input;
  if (texts.length === 0) throw invalidRequest('input must not be an empty array', 'input');
  if (texts.length > opts.maxBatch) {
    throw invalidRequest(`at most ${opts.maxBatch} inputs per request, ${texts.length} given`, 'input', 'too_many_inputs');
  }
  if (texts.some((t) => t === '')) throw invalidRequest('input must not contain empty strings', 'input');
  if (req.dimensions !== undefined && req.dimensions !== opts.embedder.dimensions) {
    throw invalidRequest(`this model embeds in ${opts.embedder.dimensions} dimensions only`, 'dimensions');
  }
  return { ...req, texts };
}

const encode = (v: Float32Array, format: 'float' | 'base64'): number[] | string =>
  format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v);

export function embeddingsRoute(opts: EmbeddingsRouteOptions): Koa.Middleware {
  return async (ctx) => {
    // The caller hung up before its answer: stop waiting, answer nobody.
    const gone = hangUpSignal(ctx, () => opts.stats.cancelled++);
    const req = await parse(ctx, opts);
    // Faults apply to complete, valid requests, where a real server would start the model.
    const verdict = await opts.faults.verdict(gone);
    if (verdict === 'aborted') return;
    if (verdict !== 'proceed') throw injectedFailure(verdict.fail.status ?? 503, verdict.fail.retryAfterSeconds);
    const { vectors, tokens } = await opts.embedder.embed(req.texts);
    if (gone.aborted) return;
    opts.stats.served++;
    opts.stats.inputs_embedded += vectors.length;
    ctx.body = {
      object: 'list',
      data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: encode(v, req.encoding_format) })),
      model: opts.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  };
}
