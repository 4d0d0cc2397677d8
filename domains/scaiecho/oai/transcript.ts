import type { TranscriptionJob } from '../jobs.js';

/** A finished inline transcription, as the OpenAI-compatible formats read it: times in ms, as stored. */
export interface OaiTranscript {
  jobId: string;
  text: string;
  segments: { start_ms: number; end_ms: number; text: string }[];
  /** What the backend detected, else what was asked for; '' when neither says. */
  language: string;
  durationMs: number;
}

export function transcriptOf(job: TranscriptionJob): OaiTranscript {
  return {
    jobId: job.id,
    text: job.transcript ?? '',
    segments: (job.segments as OaiTranscript['segments'] | null) ?? [],
    language: job.languageDetected ?? job.language ?? '',
    durationMs: job.audioDurationMs ?? 0,
  };
}
