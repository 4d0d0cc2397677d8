// What every reference STT engine answers, and the one failure that is the
// input's fault. Kept apart from the engines so each can use it without
// importing the others.

export type EngineKind = 'whisper' | 'pocketsphinx' | 'instant';

export interface TranscriptSegment {
  startMs: number;
  endMs: number;
  text: string;
}

export interface Transcript {
  text: string;
  segments: TranscriptSegment[];
  language: string;
  audioDurationMs: number;
  engineMs: number;
}

/** The engine's child processes, as a server's /stats shows them. */
export interface EngineProcesses {
  /** Decoding now. */
  running: number;
  /** Ended by SIGKILL because the call they worked for was cancelled. */
  killedOnCancel: number;
}

export interface SttEngine {
  readonly kind: EngineKind;
  /** format is a container name such as "wav"; aborting the signal kills the engine's processes. */
  transcribe(audio: Uint8Array, format: string, signal?: AbortSignal): Promise<Transcript>;
  readonly processes: Readonly<EngineProcesses>;
  /** Resolves once the engine can decode (its model loaded); a server listens only then. */
  readonly ready: Promise<void>;
}

/** The input is not audio the engine can read: retrying the same bytes cannot help. */
export class UndecodableAudioError extends Error {
  override readonly name = 'UndecodableAudioError';
}

export const LANGUAGE = 'en';

export const joinText = (segments: readonly TranscriptSegment[]): string => segments.map((s) => s.text).join(' ');
