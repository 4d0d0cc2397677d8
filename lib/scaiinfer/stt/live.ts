import { credentials, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { BackendError, classifyGrpcStatus } from './errors.js';
import { loadSpeechToText, type TranscribeRequest, type TranscribeResponse, type TranscribeResult, type TranscriptDelta } from './stt-proto.js';

// A live Transcribe call to a ScaiInfer node (proto/scaiinfer/stt/v1/stt.proto):
// raw PCM written as it arrives, deltas handed on as the node decodes, the
// result at half-close. One channel per call: a live session lasts minutes,
// and its node is the one chosen when it opened.

type Call = ClientDuplexStream<TranscribeRequest, TranscribeResponse>;

export interface LiveCall {
  /** false: the node is behind; wait for `drained` before the next write */
  write(pcm: Uint8Array): boolean;
  drained(): Promise<void>;
  /** half-close: the node finishes the last utterance and answers the result */
  finish(): Promise<TranscribeResult>;
  cancel(): void;
}

export interface LiveCallOptions {
  address: string;
  sessionId: string;
  language: string;
  sampleRateHz: number;
  onDelta(delta: TranscriptDelta): void;
  /** the call failed before finish() was asked for (the node died, say) */
  onFailure(err: BackendError): void;
}

export function openLiveCall(opts: LiveCallOptions): LiveCall {
  const SpeechToText = loadSpeechToText();
  const client = new SpeechToText(opts.address, credentials.createInsecure()) as unknown as { Transcribe(): Call; close(): void };
  const call = client.Transcribe();
  let result: TranscribeResult | undefined;
  let failure: BackendError | undefined;
  let finishing = false;
  const done = new Promise<TranscribeResult>((resolve, reject) => {
    call.on('data', (m: TranscribeResponse) => {
      if (m.payload === 'delta') opts.onDelta(m.delta);
      else if (m.payload === 'result') result = m.result;
    });
    call.on('error', (err: ServiceError) => {
      failure = classifyGrpcStatus(err.code, err.details, err);
      if (!finishing) opts.onFailure(failure);
      reject(failure);
    });
    call.on('end', () => (result ? resolve(result) : reject(new BackendError('transient', 'BACKEND_ERROR', 'the node ended the live call without a result', 'A'))));
  });
  // Observed by finish(); a failure before it is reported through onFailure.
  done.catch(() => undefined);
  void done.finally(() => client.close()).catch(() => undefined);
  call.write({ config: { jobId: opts.sessionId, language: opts.language, temperature: 0, audioFormat: '', live: true, sampleRateHz: opts.sampleRateHz } });
  return {
    // After a failure the audio has nowhere to go; the session is moving to another node meanwhile.
    write: (pcm) => (failure ? true : call.write({ audio: pcm })),
    drained: () => new Promise((resolve) => call.once('drain', resolve)),
    finish() {
      finishing = true;
      if (!failure) call.end();
      return done;
    },
    cancel() {
      finishing = true;
      call.cancel();
    },
  };
}
