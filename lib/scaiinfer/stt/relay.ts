import { z } from 'zod';
import { audioContentType, isAudioFormat } from '../../audio/format.js';
import { BackendError, classifyHttpStatus, classifyNetworkError } from './errors.js';
import type { DispatchInput, SttDispatcher, TranscriptionResult } from './types.js';

// Backend B: one REST call per recording to the managed STT relay, the audio
// streamed as the request body, so a long recording never sits in memory whole.

interface RelayDispatcherOptions {
  /** Base URL of the relay; http and https alike. */
  url: string;
  apiKey: string;
  /** Whole call, upload included. */
  timeoutMs: number;
}

const relayAnswer = z.object({
  text: z.string(),
  segments: z.array(z.object({ start_ms: z.number().nonnegative(), end_ms: z.number().nonnegative(), text: z.string() })),
  language: z.string().nullish(),
  duration_ms: z.number().nonnegative(),
});

const relayError = z.object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }) });

export function createRelayDispatcher(opts: RelayDispatcherOptions): SttDispatcher {
  const endpoint = new URL('v1/audio/transcriptions', opts.url.endsWith('/') ? opts.url : `${opts.url}/`);

  return {
    backend: 'B',
    async transcribe(input: DispatchInput): Promise<TranscriptionResult> {
      input.signal?.throwIfAborted();
      const url = new URL(endpoint);
      if (input.language) url.searchParams.set('language', input.language);
      if (input.temperature !== undefined) url.searchParams.set('temperature', String(input.temperature));
      const timeout = AbortSignal.timeout(opts.timeoutMs);
      // Our own failures while producing the body (the audio source, a progress callback) surface
      // from fetch as a generic TypeError; they are kept here so the real error is the one thrown.
      const local: { error?: unknown } = {};
      const source = input.audio[Symbol.asyncIterator]();

      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${opts.apiKey}`,
            'content-type': mediaTypeOf(input.format),
            accept: 'application/json',
          },
          body: bodyOf(source, input, local),
          duplex: 'half',
          signal: input.signal ? AbortSignal.any([input.signal, timeout]) : timeout,
        });
        const text = await res.text();
        if (!res.ok) {
          const parsed = relayError.safeParse(parseJson(text));
          const code = parsed.success ? parsed.data.error.code : undefined;
          const message = parsed.success ? (parsed.data.error.message ?? '') : text.slice(0, 200);
          throw classifyHttpStatus(res.status, code, message);
        }
        const answer = relayAnswer.safeParse(parseJson(text));
        if (!answer.success) {
          throw new BackendError('transient', 'BACKEND_ERROR', `STT relay answered 200 with an unexpected body: ${answer.error.message}`, 'B');
        }
        return {
          text: answer.data.text,
          segments: answer.data.segments.map((s) => ({ start_ms: s.start_ms, end_ms: s.end_ms, text: s.text })),
          language: answer.data.language || null,
          audioDurationMs: answer.data.duration_ms,
          engineMs: null,
        };
      } catch (err) {
        if (err instanceof BackendError) throw err;
        if (input.signal?.aborted) throw input.signal.reason;
        if ('error' in local) throw local.error;
        throw classifyNetworkError(err, timeout.aborted);
      } finally {
        // Lets go of the audio source (a file, an S3 stream) when the call ended before reading it all;
        // not awaited, as a source waiting for data would hold up the caller's error.
        void source.return?.()?.catch(() => undefined);
      }
    },
  };
}

/** A format we sniff has its listed type; any other name is sent as audio/<name>, for the relay to accept or refuse. */
function mediaTypeOf(format: string): string {
  const name = format.toLowerCase();
  return isAudioFormat(name) ? audioContentType[name] : `audio/${name}`;
}

/** Pull-based, so the audio source is read only as fast as the connection takes it. */
function bodyOf(source: AsyncIterator<Uint8Array>, input: DispatchInput, local: { error?: unknown }): ReadableStream<Uint8Array> {
  let chunksSent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await source.next();
        if (next.done) return controller.close();
        controller.enqueue(next.value);
        chunksSent++;
        input.onProgress?.({ chunksSent, deltas: 0 });
      } catch (err) {
        local.error = err;
        controller.error(err);
      }
    },
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
