/**
 * The model names the OpenAI-compatible route answers to. There is one:
 * OpenAI's name for its speech-to-text model, so clients written for it work
 * unchanged; it is served by the first wired backend (oai/transcription.ts).
 */
export const OAI_MODELS = ['whisper-1'] as const;

/** When the name was first served here, as OpenAI's `created` (seconds since the epoch). */
const CREATED = Date.UTC(2026, 11, 7) / 1000;

export const modelList = () => ({
  object: 'list' as const,
  data: OAI_MODELS.map((id) => ({ id, object: 'model' as const, created: CREATED, owned_by: 'scaiwave' })),
});

export const isOaiModel = (name: string): boolean => (OAI_MODELS as readonly string[]).includes(name);
