// What the API and the worker see of an STT backend, whichever one it is:
// audio in as a stream, one normalized transcript out.

export interface TranscriptionSegment {
  start_ms: number;
  end_ms: number;
  text: string;
}

export interface TranscriptionResult {
  text: string;
  segments: TranscriptionSegment[];
  /** Detected or assumed by the backend; null when it does not say. */
  language: string | null;
  audioDurationMs: number;
  /** The engine's own time, without transfer and queueing; null when the backend does not report it. */
  engineMs: number | null;
}

interface DispatchProgress {
  chunksSent: number;
  deltas: number;
}

export interface DispatchInput {
  jobId: string;
  audio: AsyncIterable<Uint8Array>;
  /** Container as a file extension: "wav", "flac", "ogg", … */
  format: string;
  language?: string;
  temperature?: number;
  /** Aborting cancels the backend call; transcribe() then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called for every chunk sent and every delta received, so a caller can heartbeat. */
  onProgress?: (info: DispatchProgress) => void;
}

export type BackendId = 'A' | 'B';

export interface SttDispatcher {
  readonly backend: BackendId;
  /** Rejects with a BackendError for anything the backend or the way to it did wrong. */
  transcribe(input: DispatchInput): Promise<TranscriptionResult>;
}
