import type { Caller } from '../../../lib/auth/caller-identity.js';
import { AppError } from '../../../lib/errors.js';
import type { UploadedFile } from '../../../lib/http/upload.js';
import type { TenantPolicy } from '../policy.js';
import type { transcriptions } from '../transcribe.js';
import { isOaiModel, OAI_MODELS } from './models.js';
import { transcriptOf, type OaiTranscript } from './transcript.js';

/**
 * Seed 003: the compat endpoint has no tenant policy; it uses the first wired
 * backend, self-hosted (A) when a node is online, else the relay (B), moving on
 * as the native sync path does (failover.ts).
 */
const FIRST_WIRED: TenantPolicy = { allowedBackends: 'AB', defaultBackend: 'A' };

interface OaiRequest {
  model: string;
  language?: string;
  temperature?: number;
  granularities: ('word' | 'segment')[];
  verbose: boolean;
}

/**
 * One OpenAI-style transcription through the native sync path (transcribe.ts):
 * the same guards, budget, accounting and job row. Refused before any of it:
 * a model not listed, and timestamps the backends cannot give.
 */
export function oaiTranscriptions(transcribe: ReturnType<typeof transcriptions>) {
  return async (caller: Caller, file: UploadedFile, req: OaiRequest, gone: AbortSignal): Promise<OaiTranscript> => {
    if (!isOaiModel(req.model)) {
      throw new AppError('NOT_FOUND', `The model '${req.model}' does not exist; this server serves ${OAI_MODELS.join(', ')}`, {
        fields: [{ field: 'model', problem: 'not a model GET /oai/v1/models lists' }],
      });
    }
    if (req.granularities.length > 0 && !req.verbose) {
      throw new AppError('VALIDATION_ERROR', 'timestamp_granularities[] needs response_format=verbose_json', {
        fields: [{ field: 'timestamp_granularities[]', problem: 'needs response_format=verbose_json' }],
      });
    }
    if (req.granularities.includes('word')) {
      // Said rather than invented: the STT backends' protocol carries segment times only.
      throw new AppError('VALIDATION_ERROR', "word timestamps are not available: this server's speech engines give segment times only", {
        fields: [{ field: 'timestamp_granularities[]', problem: 'word is not available; use segment' }],
      });
    }
    const request = { language: req.language, temperature: req.temperature, backendPreference: 'any' as const, forceAsync: false, speakers: undefined, policy: FIRST_WIRED };
    const { job, queued } = await transcribe(caller, file, request, gone);
    // The route caps uploads at the async threshold, so the native path answers inline.
    if (queued) throw new Error(`OpenAI-compatible transcription ${job.id} was queued; the upload cap must not exceed the async threshold`);
    return transcriptOf(job);
  };
}
