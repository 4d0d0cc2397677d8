import { once } from 'node:events';
import { credentials, type Client, type ClientWritableStream, type ServiceError } from '@grpc/grpc-js';
import { classifyGrpcStatus } from '../stt/errors.js';
import { MAX_CHUNK_BYTES } from '../stt/scaiinfer.js';
import {
  loadSpeakerDiarization,
  type AcceptSpeakerRequest,
  type AttributeConfig,
  type AttributeRequest,
  type Attribution,
  type AudioConfig,
  type Embedding,
  type EmbeddingRequest,
} from './proto.js';

// One diarization node, as the platform calls it. Every failure comes back as a
// BackendError saying whether a retry can help; calls are short, so a client is
// made per piece of work and closed after it, never kept across a node's restarts.

export interface DiarizeNodeClient {
  computeEmbedding(config: AudioConfig, audio: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<Embedding>;
  acceptSpeaker(request: AcceptSpeakerRequest): Promise<{ alreadyHeld: boolean }>;
  evictSpeaker(speakerId: string): Promise<{ wasHeld: boolean }>;
  listSpeakers(speakerIds: string[]): Promise<string[]>;
  attributeSegments(config: AttributeConfig, audio: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<Attribution[]>;
  close(): void;
}

type Method = 'ComputeEmbedding' | 'AcceptSpeaker' | 'EvictSpeaker' | 'ListSpeakers' | 'AttributeSegments';

function diarizeNodeClient(address: string, opts: { deadlineMs: number }): DiarizeNodeClient {
  const SpeakerDiarization = loadSpeakerDiarization();
  const client: Client = new SpeakerDiarization(address, credentials.createInsecure());
  const method = (name: Method) => SpeakerDiarization.service[name]!;
  const callOptions = () => ({ deadline: Date.now() + opts.deadlineMs });
  const failure = (err: ServiceError) => classifyGrpcStatus(err.code, err.details, err);

  function unary<Req, Res>(name: Method, request: Req): Promise<Res> {
    const m = method(name);
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest<Req, Res>(m.path, m.requestSerialize, m.responseDeserialize, request, callOptions(), (err, res) =>
        err ? reject(failure(err)) : resolve(res!),
      );
    });
  }

  /** Config first, then the audio at the pace the connection takes it. */
  function upload<Req, Res>(name: Method, first: Req, audio: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<Res> {
    const m = method(name);
    const settled = new AbortController();
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<Res>((resolve, reject) => {
      const finish = (outcome: () => void): void => {
        if (settled.signal.aborted) return;
        settled.abort();
        signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const call: ClientWritableStream<Req> = client.makeClientStreamRequest<Req, Res>(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        callOptions(),
        (err, res) => finish(() => (err ? reject(failure(err)) : resolve(res!))),
      );
      const onAbort = (): void =>
        finish(() => {
          call.cancel();
          reject(signal!.reason);
        });
      signal?.addEventListener('abort', onAbort, { once: true });

      const send = async (msg: Req): Promise<void> => {
        if (!call.write(msg)) await once(call, 'drain', { signal: settled.signal });
      };
      (async () => {
        await send(first);
        for await (const chunk of audio) {
          for (let offset = 0; offset < chunk.byteLength; offset += MAX_CHUNK_BYTES) {
            if (settled.signal.aborted) return;
            await send({ audio: chunk.subarray(offset, offset + MAX_CHUNK_BYTES) } as Req);
          }
        }
        call.end();
      })().catch((err: unknown) =>
        finish(() => {
          call.cancel();
          reject(err);
        }),
      );
    });
  }

  return {
    computeEmbedding: (config, audio, signal) => upload<EmbeddingRequest, Embedding>('ComputeEmbedding', { config }, audio, signal),
    acceptSpeaker: (request) => unary('AcceptSpeaker', request),
    evictSpeaker: (speakerId) => unary('EvictSpeaker', { speakerId }),
    listSpeakers: async (speakerIds) => (await unary<unknown, { speakerIds: string[] }>('ListSpeakers', { speakerIds })).speakerIds,
    attributeSegments: async (config, audio, signal) =>
      (await upload<AttributeRequest, { segments: Attribution[] }>('AttributeSegments', { config }, audio, signal)).segments,
    close: () => client.close(),
  };
}

/** A client for one piece of work: opened, used, closed. */
export async function withDiarizeNode<T>(address: string, deadlineMs: number, work: (node: DiarizeNodeClient) => Promise<T>): Promise<T> {
  const node = diarizeNodeClient(address, { deadlineMs });
  try {
    return await work(node);
  } finally {
    node.close();
  }
}
