// What the diarization node needs of a speaker embedding, whichever engine
// computes it (embedder.ts picks).

export type DiarizeEngineKind = 'd-vector' | 'mfcc';
export const DIARIZE_ENGINE_KINDS: readonly DiarizeEngineKind[] = ['d-vector', 'mfcc'];

export interface SpeakerEmbedder {
  /** Named in every embedding, so a node never compares another model's. */
  readonly model: string;
  readonly dims: number;
  /** At or above: the same voice. */
  readonly threshold: number;
  /** Throws TooLittleSpeechError when the audio holds too little speech to tell a voice by. */
  embed(pcm: Int16Array, signal?: AbortSignal): Promise<Float32Array>;
  similarity(a: ArrayLike<number>, b: ArrayLike<number>): number;
  /** Resolves once the model is loaded; a node listens only then. */
  readonly ready: Promise<void>;
  /** Lets the engine's processes, if any, go. */
  close(): void;
}
