import fs from 'node:fs';
import { checkBudget } from '../accounting/budgets.js';
import { probeAudio } from '../../lib/audio/probe.js';
import type { Caller } from '../../lib/auth/caller-identity.js';
import { newId } from '../../lib/infra/ids.js';
import type { Redis } from '../../lib/infra/redis.js';
import type { NatsHandle } from '../../lib/infra/nats-handle.js';
import { tenantLimits } from '../../lib/tenancy/tenant-limits.js';
import type { SttBackends } from './backends.js';
import { recordInlineJob } from './finish-job.js';
import type { TranscriptionJob } from './jobs.js';
import { getOrProvisionPolicy, type BackendPreference, type TenantPolicy } from './policy.js';
import { queueJob, type QueueDeps, type ReceivedAudio } from './queue-job.js';
import { attributionColumns, requireSpeakers, type SpeakerSelection } from '../speakers/speaker-selection.js';
import { transcribeNow } from './transcribe-now.js';

interface SubmitDeps extends QueueDeps {
  redis: Redis;
  nats: NatsHandle;
  backends: SttBackends;
}

/** What the caller asked for, validated. */
interface TranscriptionRequest {
  language?: string;
  backendPreference: BackendPreference;
  forceAsync: boolean;
  temperature?: number;
  speakers: SpeakerSelection;
  /** Inline only: the backends tried in this order instead of the tenant's policy (the OpenAI-compatible route's first wired backend). */
  policy?: TenantPolicy;
}

/**
 * The one entry to a transcription, inline or queued. Every guard runs before
 * anything is written or dispatched; then a short recording without speaker
 * attribution is transcribed inline, anything else becomes an async job.
 */
export function transcriptions(deps: SubmitDeps) {
  const { db, config } = deps;
  const e = config.env;
  const limitsOf = tenantLimits(db, config);

  return async function transcribe(
    caller: Caller,
    audio: ReceivedAudio,
    req: TranscriptionRequest,
    /** Aborted when the caller hangs up: an inline backend call is cancelled. */
    gone: AbortSignal,
  ): Promise<{ job: TranscriptionJob; queued: boolean }> {
    await requireSpeakers(db, caller.tenantId, req.speakers);
    const probe = await probeAudio(audio.path, audio.bytes, { maxDurationMs: (await limitsOf(caller.tenantId)).scaiechoMaxAudioMs });
    // Before anything reaches S3 or a backend: an over-budget caller costs us nothing upstream.
    await checkBudget(db, deps.redis, caller, { requests: 1, audio_ms: probe.durationMs });
    const row = {
      id: newId(),
      tenantId: caller.tenantId,
      userId: caller.userId,
      audioSha256: audio.sha256,
      audioBytes: BigInt(audio.bytes),
      audioDurationMs: probe.durationMs,
      audioFormat: probe.format,
      language: req.language ?? null,
      backendPreference: req.backendPreference,
      temperature: req.temperature ?? null,
      ...attributionColumns(req.speakers),
    };
    // Attribution means more calls to more nodes after the transcript: the job workflow's work, never inline.
    if (req.forceAsync || req.speakers || audio.bytes > e.SCAIWAVE_SCAIECHO_ASYNC_AUDIO_THRESHOLD_BYTES) {
      return { job: await queueJob(deps, caller, row, { ...audio, format: probe.format }), queued: true };
    }
    const startedAt = new Date();
    const { backend, result } = await transcribeNow(
      deps.backends,
      req.policy ?? (await getOrProvisionPolicy(db, caller.tenantId)),
      req.backendPreference,
      (signal) => ({
        jobId: 'sync',
        audio: fs.createReadStream(audio.path),
        format: probe.format,
        language: req.language,
        temperature: req.temperature,
        signal,
      }),
      deps.logger,
      { timeoutMs: e.SCAIWAVE_SCAIECHO_SYNC_TIMEOUT_MS, signal: gone },
    );
    return { job: await recordInlineJob(deps, row, { backend, result, startedAt }), queued: false };
  };
}
