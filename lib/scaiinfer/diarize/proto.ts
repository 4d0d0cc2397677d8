import { loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { projectFile } from '../../infra/project-files.js';

// scaiinfer.diarize.v1 as loaded at run time: the contract between the platform
// and diarization nodes, with the message shapes proto-loader produces
// (camelCase fields, zero values filled in, `payload` naming the oneof member set).

const DIARIZE_PROTO_PATH = projectFile('proto', 'scaiinfer', 'diarize', 'v1', 'diarize.proto');

export interface AudioConfig {
  requestId: string;
  audioFormat: string;
}

export interface Embedding {
  values: number[];
  model: string;
}

export interface Span {
  startMs: number;
  endMs: number;
}

export interface AttributeConfig {
  audio: AudioConfig;
  segments: Span[];
  speakerIds: string[];
}

export type EmbeddingRequest = { payload?: 'config'; config: AudioConfig } | { payload?: 'audio'; audio: Uint8Array };
export type AttributeRequest = { payload?: 'config'; config: AttributeConfig } | { payload?: 'audio'; audio: Uint8Array };

export interface Attribution extends Span {
  /** Empty when no candidate matched. */
  speakerId: string;
  score: number;
}

export interface AcceptSpeakerRequest {
  speakerId: string;
  embedding: Embedding;
}

/** The SpeakerDiarization client constructor; its `service` is the definition a server adds. */
export function loadSpeakerDiarization(protoPath = DIARIZE_PROTO_PATH): ServiceClientConstructor {
  const definition = loadSync(protoPath, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
  const pkg = loadPackageDefinition(definition) as unknown as {
    scaiinfer: { diarize: { v1: { SpeakerDiarization: ServiceClientConstructor } } };
  };
  return pkg.scaiinfer.diarize.v1.SpeakerDiarization;
}
