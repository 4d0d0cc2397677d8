import { once } from 'node:events';
import { connectivityState, credentials, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { BackendError, classifyGrpcStatus } from './errors.js';
import { loadSpeechToText, type TranscribeRequest, type TranscribeResponse, type TranscribeResult } from './stt-proto.js';
import type { DispatchInput, SttDispatcher, TranscriptionResult } from './types.js';

// Backend A: one bidi Transcribe call per recording to a ScaiInfer node. The
// audio goes out as it arrives, at the pace the connection takes it, so a long
// recording never sits in memory whole.

interface ScaiInferDispatcherOptions {
  /** host:port of the node's gRPC listener, as the registry lists it. */
  address: string;
  /** Whole call, upload included. */
  deadlineMs: number;
  /** How long a call waits for a connection before the node counts as unavailable; default 1000. */
  connectTimeoutMs?: number;
  protoPath?: string;
}

export interface ScaiInferDispatcher extends SttDispatcher {
  /** Closes the channel to the node. */
  close(): void;
}

export const MAX_CHUNK_BYTES = 64 * 1024;

type TranscribeCall = ClientDuplexStream<TranscribeRequest, TranscribeResponse>;

export function createScaiInferDispatcher(opts: ScaiInferDispatcherOptions): ScaiInferDispatcher {
  const SpeechToText = loadSpeechToText(opts.protoPath);
  const method = SpeechToText.service.Transcribe;
  if (!method) throw new Error('the STT proto defines no SpeechToText.Transcribe');
  const client = new SpeechToText(opts.address, credentials.createInsecure(), {
    // A node that restarts should be usable again within the connect timeout, not after gRPC's default backoff of up to two minutes.
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 500,
  });
  const connectTimeoutMs = opts.connectTimeoutMs ?? 1000;

  // gRPC fails a call at once while the channel is down, even when the node is back and only the
  // reconnect backoff has not run out; waiting briefly for the connection rides that out.
  const connected = (deadline: number, signal: AbortSignal | undefined): Promise<void> => {
    if (client.getChannel().getConnectivityState(true) === connectivityState.READY) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      client.waitForReady(Math.min(deadline, Date.now() + connectTimeoutMs), (err) => {
        signal?.removeEventListener('abort', onAbort);
        if (!err) return resolve();
        const message = `ScaiInfer node at ${opts.address} accepted no connection within ${connectTimeoutMs} ms`;
        reject(new BackendError('transient', 'BACKEND_UNAVAILABLE', message, 'A', { cause: err }));
      });
    });
  };

  return {
    backend: 'A',
    close: () => client.close(),
    async transcribe(input: DispatchInput): Promise<TranscriptionResult> {
      const { signal } = input;
      signal?.throwIfAborted();
      const deadline = Date.now() + opts.deadlineMs;
      await connected(deadline, signal);
      signal?.throwIfAborted();
      const call: TranscribeCall = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, { deadline });
      return run(call, input);
    },
  };
}

function run(call: TranscribeCall, input: DispatchInput): Promise<TranscriptionResult> {
  const { signal } = input;
  const progress = { chunksSent: 0, deltas: 0 };
  // Ends the upload once the call is settled, however that happened.
  const settled = new AbortController();
  const source = input.audio[Symbol.asyncIterator]();
  // Lets go of the audio source (a file, an S3 stream) even while it is waiting for data.
  settled.signal.addEventListener('abort', () => void source.return?.()?.catch(() => undefined), { once: true });

  return new Promise<TranscriptionResult>((resolve, reject) => {
    let result: TranscribeResult | undefined;

    const settle = (outcome: { value: TranscriptionResult } | { error: unknown }): void => {
      if (settled.signal.aborted) return;
      settled.abort();
      signal?.removeEventListener('abort', onAbort);
      if ('error' in outcome) {
        call.cancel();
        reject(outcome.error);
      } else {
        resolve(outcome.value);
      }
    };
    const onAbort = (): void => settle({ error: signal!.reason });
    signal?.addEventListener('abort', onAbort, { once: true });

    // A throwing callback must fail this call, not crash the process from inside an event handler.
    const report = (): void => {
      try {
        input.onProgress?.({ ...progress });
      } catch (err) {
        settle({ error: err });
      }
    };

    call.on('data', (msg: TranscribeResponse) => {
      if (msg.payload === 'delta') {
        progress.deltas++;
        report();
      } else if (msg.payload === 'result') {
        result = msg.result;
      }
    });
    call.on('error', (err: ServiceError) => settle({ error: classifyGrpcStatus(err.code, err.details, err) }));
    // 'end' rather than 'status': status OK can arrive before the last messages are read.
    // A failed call has settled through 'error' by then.
    call.on('end', () =>
      settle(
        result
          ? { value: normalize(result) }
          : { error: new BackendError('transient', 'BACKEND_ERROR', 'ScaiInfer node ended the call without a result', 'A') },
      ),
    );

    const upload = async (): Promise<void> => {
      const send = async (msg: TranscribeRequest): Promise<void> => {
        if (call.write(msg)) return;
        await once(call, 'drain', { signal: settled.signal });
      };
      await send({
        config: {
          jobId: input.jobId,
          language: input.language ?? '',
          temperature: input.temperature ?? 0,
          audioFormat: input.format,
          live: false,
          sampleRateHz: 0,
        },
      });
      for (let next = await source.next(); !next.done; next = await source.next()) {
        const chunk = next.value;
        for (let offset = 0; offset < chunk.byteLength; offset += MAX_CHUNK_BYTES) {
          if (settled.signal.aborted) return;
          await send({ audio: chunk.subarray(offset, offset + MAX_CHUNK_BYTES) });
          progress.chunksSent++;
          report();
        }
      }
      if (!settled.signal.aborted) call.end();
    };
    upload().catch((err: unknown) => {
      // Waiting for drain is cut short on purpose once the call has settled.
      if (!settled.signal.aborted) settle({ error: err });
    });
  });
}

function normalize(r: TranscribeResult): TranscriptionResult {
  return {
    text: r.text,
    segments: r.segments.map((s) => ({ start_ms: s.startMs, end_ms: s.endMs, text: s.text })),
    language: r.language || null,
    audioDurationMs: r.audioDurationMs,
    engineMs: r.engineMs,
  };
}
