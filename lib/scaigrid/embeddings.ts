import OpenAI from 'openai';
import type { Config } from '../config.js';
import type { Logger } from '../infra/logger.js';
import { classifySdkError, ScaiGridError } from './errors.js';

// Text embeddings from ScaiGrid's OpenAI-compatible router (POST {url}/oai/v1/embeddings),
// through OpenAI's own SDK: it retries network errors, timeouts, 408/409/429
// and 5xx with exponential backoff and jitter (0.5 s doubling up to 8 s, less up
// to a quarter), honours Retry-After up to a minute, times out each attempt,
// and never retries another 4xx. This module adds batching, the credential
// choice, a check of every answer, and one error type (./errors.ts).

export interface EmbeddingClientOptions {
  /** ScaiGrid's root URL (SCAIWAVE_SCAIGRID_URL). */
  url: string;
  /** The model to embed with (SCAIWAVE_AI_EMBEDDING_MODEL). */
  model: string;
  /** The platform's key (SCAIWAVE_SCAIGRID_API_KEY): used only for calls that bring no credential of their own. */
  platformApiKey?: string;
  /** Most texts per request; longer lists go out as several requests, one after the other. */
  batchSize: number;
  /** Limit of each attempt; an attempt that takes longer is abandoned and retried. */
  timeoutMs: number;
  /** Attempts after the first one, per request. */
  maxRetries: number;
  /** Retries and failures are logged here at info (status and request id, never the texts). */
  logger?: Logger;
}

interface EmbedOptions {
  /** The user's own ScaiGrid credential (an exchanged token or `sgk_` key); wins over the platform key. */
  credential?: string;
  signal?: AbortSignal;
}

export interface EmbeddingClient {
  readonly model: string;
  /**
   * One vector per text, in the texts' order, each of unit length (L2-normalised
   * here whatever the model returns), so a dot product is a cosine similarity.
   * Texts must be non-empty: ScaiGrid, like OpenAI, refuses empty input.
   * Throws ScaiGridError; if `signal` aborts, its reason.
   */
  embed(texts: readonly string[], opts?: EmbedOptions): Promise<number[][]>;
}

export function createEmbeddingClient(opts: EmbeddingClientOptions): EmbeddingClient {
  const sdk = new OpenAI({
    baseURL: new URL('oai/v1', opts.url.endsWith('/') ? opts.url : `${opts.url}/`).href,
    // Never sent: embed() refuses a call with no credential when there is no platform key.
    apiKey: opts.platformApiKey ?? 'no-platform-key',
    // Set explicitly, so no OPENAI_* variable of the environment leaks into our requests.
    organization: null,
    project: null,
    webhookSecret: null,
    timeout: opts.timeoutMs,
    maxRetries: opts.maxRetries,
    ...(opts.logger ? { logger: sdkLogger(opts.logger), logLevel: 'info' as const } : { logLevel: 'off' as const }),
  });

  const embedBatch = async (texts: string[], eo: EmbedOptions): Promise<number[][]> => {
    try {
      const answer = await sdk.embeddings.create(
        { model: opts.model, input: texts },
        { signal: eo.signal, ...(eo.credential ? { headers: { Authorization: `Bearer ${eo.credential}` } } : {}) },
      );
      return checked(answer.data, texts.length);
    } catch (err) {
      if (eo.signal?.aborted) throw eo.signal.reason;
      if (err instanceof ScaiGridError) throw err;
      throw classifySdkError(err);
    }
  };

  return {
    model: opts.model,
    async embed(texts, eo = {}) {
      if (!eo.credential && !opts.platformApiKey) {
        throw new ScaiGridError('SCAIGRID_UNAUTHORIZED', false, 'no ScaiGrid credential: the call brought none and SCAIWAVE_SCAIGRID_API_KEY is unset');
      }
      const empty = texts.findIndex((t) => t === '');
      if (empty >= 0) throw new ScaiGridError('SCAIGRID_REJECTED', false, `text ${empty} is empty: ScaiGrid embeds no empty input`);
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += opts.batchSize) {
        vectors.push(...(await embedBatch(texts.slice(start, start + opts.batchSize), eo)));
        // Every vector of one call has the same width, or they cannot be compared.
        if (vectors[0]!.length !== vectors.at(-1)!.length) throw badAnswer('vectors of different widths across batches');
      }
      return vectors;
    },
  };
}

/** The client configured by SCAIWAVE_SCAIGRID_*; undefined where no ScaiGrid is configured. */
export function embeddingClientFromConfig(env: Config['env'], logger?: Logger): EmbeddingClient | undefined {
  if (!env.SCAIWAVE_SCAIGRID_URL) return undefined;
  return createEmbeddingClient({
    url: env.SCAIWAVE_SCAIGRID_URL,
    model: env.SCAIWAVE_AI_EMBEDDING_MODEL,
    platformApiKey: env.SCAIWAVE_SCAIGRID_API_KEY || undefined,
    batchSize: env.SCAIWAVE_SCAIGRID_EMBEDDING_BATCH_SIZE,
    timeoutMs: env.SCAIWAVE_SCAIGRID_TIMEOUT_MS,
    maxRetries: env.SCAIWAVE_SCAIGRID_MAX_RETRIES,
    logger,
  });
}

const badAnswer = (what: string): ScaiGridError => new ScaiGridError('SCAIGRID_BAD_ANSWER', true, `ScaiGrid answered 200 with ${what}`);

/** The vectors in input order, unit length; anything that breaks the protocol is a bad answer. */
function checked(data: readonly { index: number; embedding: readonly number[] }[], expected: number): number[][] {
  if (data.length !== expected) throw badAnswer(`${data.length} vectors for ${expected} texts`);
  const ordered: number[][] = new Array<number[]>(expected);
  for (const item of data) {
    if (!Number.isInteger(item.index) || item.index < 0 || item.index >= expected || ordered[item.index]) {
      throw badAnswer(`a wrong or repeated index ${item.index}`);
    }
    ordered[item.index] = unitLength(item.embedding);
  }
  if (ordered.some((v) => v.length !== ordered[0]!.length)) throw badAnswer('vectors of different widths');
  return ordered;
}

function unitLength(v: readonly number[]): number[] {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (!Number.isFinite(norm) || norm === 0) throw badAnswer('a zero, infinite or non-numeric vector');
  return v.map((x) => x / norm);
}

/** The SDK logs `(message, ...details)`; pino takes the message last. Details (headers, bodies) are dropped. */
function sdkLogger(log: Logger): Record<'debug' | 'info' | 'warn' | 'error', (message: string) => void> {
  return {
    debug: (message) => log.debug(message),
    info: (message) => log.info(message),
    warn: (message) => log.warn(message),
    error: (message) => log.error(message),
  };
}
