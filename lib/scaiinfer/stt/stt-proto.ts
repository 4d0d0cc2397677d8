import { loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { projectFile } from '../../infra/project-files.js';

// scaiinfer.stt.v1 as loaded at run time: the contract between the dispatcher
// and the ScaiInfer node, with the message shapes proto-loader produces
// (camelCase fields, zero values filled in, `payload` naming the oneof member set).

const STT_PROTO_PATH = projectFile('proto', 'scaiinfer', 'stt', 'v1', 'stt.proto');

export interface TranscribeConfig {
  jobId: string;
  language: string;
  temperature: number;
  audioFormat: string;
  live: boolean;
  sampleRateHz: number;
}

export type TranscribeRequest = { payload?: 'config'; config: TranscribeConfig } | { payload?: 'audio'; audio: Uint8Array };

export interface TranscriptDelta {
  text: string;
  startMs: number;
  endMs: number;
  isFinal: boolean;
}

export interface TranscribeResult {
  text: string;
  segments: { startMs: number; endMs: number; text: string }[];
  language: string;
  audioDurationMs: number;
  engineMs: number;
}

export type TranscribeResponse = { payload?: 'delta'; delta: TranscriptDelta } | { payload?: 'result'; result: TranscribeResult };

/** The SpeechToText client constructor; its `service` is the definition a server adds. */
export function loadSpeechToText(protoPath = STT_PROTO_PATH): ServiceClientConstructor {
  const definition = loadSync(protoPath, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
  const pkg = loadPackageDefinition(definition) as unknown as {
    scaiinfer: { stt: { v1: { SpeechToText: ServiceClientConstructor } } };
  };
  return pkg.scaiinfer.stt.v1.SpeechToText;
}
