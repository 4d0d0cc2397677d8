import fs from 'node:fs';
import Router from '@koa/router';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { audioContentType } from '../../lib/audio/format.js';
import { probeAudio, type AudioProbe } from '../../lib/audio/probe.js';
import { assessSpeechQuality, type QualityReport } from '../../lib/audio/quality.js';
import type { Caller } from '../../lib/auth/caller.js';
import { VARCHAR } from '../../lib/infra/columns.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/infra/ids.js';
import { withDiarizeNode } from '../../lib/scaiecho/diarize/client.js';
import { erasureView, findTenantErasure, requestErasure, type ErasureReason } from '../../lib/scaiecho/erasures.js';
import { ENGINE_DIARIZE } from '../../lib/scaiecho/node-registry.js';
import { startEnrollment, startErasure, startRewarm } from '../../lib/scaiecho/speaker-workflows.js';
import {
  ACTIVE,
  consentObjectKey,
  ENROLLING_REASON,
  findTenantSpeaker,
  listTenantSpeakers,
  referenceObjectKey,
  SPEAKER_STATUSES,
  speakerView,
  type SpeakerStatus,
  type SpeakerWithRecords,
} from '../../lib/scaiecho/speakers.js';
import { WarmRegistry } from '../../lib/scaiecho/warm-registry.js';
import { tenantLimits } from '../../lib/tenancy/tenant-limits.js';
import { speakerAbandonedSignal, speakerStoredSignal } from '../../workflows/speakers.js';
import type { ApiDeps } from '../deps.js';
import { ok } from '../envelope.js';
import { callerOf, requirePermission } from '../middleware/auth.js';
import { receiveMultipart, type UploadedFile } from '../upload.js';
import { decimalText, parse } from '../validate.js';
import type { ApiState } from '../state.js';

const enrollFields = z.object({
  display_name: z.string().trim().min(1).max(VARCHAR.SpeakerProfile.displayName),
  consent_text_version: z.string().trim().min(1).max(VARCHAR.SpeakerConsent.textVersion),
});

const listQuery = z.object({
  status: z.enum(SPEAKER_STATUSES).optional(),
  cursor: z.string().max(64).optional(),
  limit: decimalText(z.number().int().min(1).max(100)).default(20),
});

interface Recording {
  file: UploadedFile;
  probe: AudioProbe;
}

/** Speaker enrollment, the warm registry, and Art. 17 erasure. */
export function speakerRoutes(deps: ApiDeps): Router<ApiState> {
  const { db, config, logger } = deps;
  const e = config.env;
  const warm = new WarmRegistry(deps.redis);
  const router = new Router<ApiState>({ prefix: '/v1/modules/scaiecho' });
  const use = requirePermission('scaiecho:use');
  const limitsOf = tenantLimits(db, config);
  // Compliance teams erase and follow erasures without being ScaiEcho users themselves.
  const eraser = requirePermission('scaiecho:use', 'compliance:manage');

  async function speakerOf(ctx: { state: ApiState; params: Record<string, string | undefined> }): Promise<SpeakerWithRecords> {
    const s = await findTenantSpeaker(db, callerOf(ctx.state).tenantId, ctx.params.id!);
    if (!s) throw notFound('speaker');
    return s;
  }

  /** Which upload a failed probe was about, in the message. The tenant's longest transcription bounds any recording. */
  async function recording(caller: Caller, file: UploadedFile | undefined, field: string, what: string): Promise<Recording> {
    if (!file) throw new AppError('VALIDATION_ERROR', `${field}: ${what} is required`);
    try {
      return { file, probe: await probeAudio(file.path, file.bytes, { maxDurationMs: (await limitsOf(caller.tenantId)).scaiechoMaxAudioMs }) };
    } catch (err) {
      if (err instanceof AppError) throw new AppError(err.code, `${field}: ${err.message}`, err.details);
      throw err;
    }
  }

  const put = (r: Recording, key: string) =>
    deps.s3.send(
      new PutObjectCommand({
        Bucket: e.SCAIWAVE_S3_BUCKET,
        Key: key,
        Body: fs.createReadStream(r.file.path),
        ContentLength: r.file.bytes,
        ContentType: audioContentType[r.probe.format],
      }),
    );

  /**
   * The workflow starts first: from then on, whatever happens to this request,
   * it either fans the speaker out or removes what was stored. The two rows
   * go in one transaction, after both objects.
   */
  async function enroll(caller: Caller, f: z.output<typeof enrollFields>, reference: Recording, consent: Recording, quality: QualityReport) {
    const speakerId = newId();
    const workflow = await startEnrollment(deps, caller, speakerId).catch((err: unknown) => {
      logger.error({ err, speakerId }, 'could not start the enrollment workflow');
      throw new AppError('SERVICE_UNAVAILABLE', 'the enrollment could not be started; nothing was stored, try again');
    });
    const referenceKey = referenceObjectKey(speakerId, reference.probe.format);
    const consentKey = consentObjectKey(speakerId, consent.probe.format);
    try {
      // Both settle before anything is judged: a put still in flight would land after the clean-up.
      const puts = await Promise.allSettled([put(reference, referenceKey), put(consent, consentKey)]);
      for (const p of puts) if (p.status === 'rejected') throw p.reason;
      await db.$transaction([
        db.speakerProfile.create({
          data: {
            id: speakerId,
            tenantId: caller.tenantId,
            createdByUserId: caller.userId,
            displayName: f.display_name,
            statusReason: ENROLLING_REASON,
            referenceObjectKey: referenceKey,
            referenceFormat: reference.probe.format,
            quality: { ...quality },
          },
        }),
        db.speakerConsent.create({
          data: {
            speakerId,
            tenantId: caller.tenantId,
            capturedByUserId: caller.userId,
            textVersion: f.consent_text_version,
            recordingObjectKey: consentKey,
          },
        }),
      ]);
    } catch (err) {
      logger.error({ err, speakerId }, 'could not store the enrollment');
      // Should this signal be lost as well, the workflow cleans up when its wait runs out.
      await workflow.signal(speakerAbandonedSignal).catch(() => undefined);
      throw new AppError('SERVICE_UNAVAILABLE', 'the speaker could not be stored; nothing was kept, try again');
    }
    // A lost signal only delays the fan-out: the workflow then looks for the rows itself.
    await workflow.signal(speakerStoredSignal).catch((err: unknown) => logger.warn({ err, speakerId }, 'stored signal not delivered'));
    return (await findTenantSpeaker(db, caller.tenantId, speakerId))!;
  }

  /** The registry's word, checked with the nodes themselves: a node that restarted has forgotten. */
  async function warmView(speakerId: string) {
    const [held, online] = await Promise.all([warm.holders(speakerId), deps.registry.online(ENGINE_DIARIZE)]);
    const confirmed = await Promise.all(
      online
        .filter((n) => held.includes(n.nodeId))
        .map(async (n) => {
          // A node that does not answer cannot confirm it holds the speaker.
          const holds = await withDiarizeNode(n.address, e.SCAIWAVE_SCAIECHO_DIARIZE_TIMEOUT_MS, (c) => c.listSpeakers([speakerId])).catch(
            (): string[] => [],
          );
          return holds.includes(speakerId) ? [n.nodeId] : [];
        }),
    );
    const warmIds = confirmed.flat().sort();
    return {
      speaker_id: speakerId,
      warm_node_ids: warmIds,
      candidate_node_ids: online.map((n) => n.nodeId).filter((id) => !warmIds.includes(id)).sort(),
      stale_node_ids: held.filter((id) => !warmIds.includes(id)),
    };
  }

  /** Asking again (or withdrawing consent after a deletion) answers with the erasure already under way. */
  async function erase(caller: Caller, speaker: SpeakerWithRecords, reason: ErasureReason) {
    const erasure = await requestErasure(db, speaker, caller, reason, newId());
    if (erasure.status !== 'completed') {
      await startErasure(deps, caller, erasure).catch((err: unknown) => {
        logger.error({ err, erasureId: erasure.id }, 'could not start the erasure workflow');
        throw new AppError('SERVICE_UNAVAILABLE', `erasure ${erasure.id} is recorded but could not be started; repeat the request`);
      });
    }
    return erasureView((await findTenantErasure(db, caller.tenantId, erasure.id))!);
  }

  router.post('/speakers', use, async (ctx) => {
    const caller = callerOf(ctx.state);
    const upload = await receiveMultipart(ctx, {
      maxFileBytes: e.SCAIWAVE_SCAIECHO_MAX_UPLOAD_BYTES,
      fileFields: ['reference_audio', 'consent_recording'],
    }).catch((err: unknown) => {
      ctx.set('Connection', 'close');
      throw err;
    });
    try {
      const f = parse(enrollFields, upload.fields);
      const reference = await recording(caller, upload.files.reference_audio, 'reference_audio', "the speaker's reference recording");
      const consent = await recording(caller, upload.files.consent_recording, 'consent_recording', "the recording of the speaker's consent");
      const { report, problems } = await assessSpeechQuality(reference.file.path, reference.probe, {
        minDurationMs: e.SCAIWAVE_SCAIECHO_SPEAKER_MIN_AUDIO_MS,
        maxDurationMs: e.SCAIWAVE_SCAIECHO_SPEAKER_MAX_AUDIO_MS,
      });
      if (problems.length > 0 || !report) {
        throw new AppError('UNPROCESSABLE_ENTITY', `reference_audio cannot be used: ${problems.map((p) => p.message).join('; ')}`, {
          problems,
          ...(report ? { quality: report } : {}),
        });
      }
      const speaker = await enroll(caller, f, reference, consent, report);
      ok(ctx, { ...speakerView(speaker), poll_url: `/v1/modules/scaiecho/speakers/${speaker.id}` }, 202);
    } finally {
      await upload.cleanup();
    }
  });

  router.get('/speakers', use, async (ctx) => {
    const q = parse(listQuery, ctx.query);
    const page = await listTenantSpeakers(db, callerOf(ctx.state).tenantId, q);
    ok(ctx, { speakers: page.speakers.map(speakerView), next_cursor: page.nextCursor });
  });

  router.get('/speakers/:id', use, async (ctx) => {
    ok(ctx, speakerView(await speakerOf(ctx)));
  });

  router.get('/speakers/:id/warm', use, async (ctx) => {
    ok(ctx, await warmView((await speakerOf(ctx)).id));
  });

  router.post('/speakers/:id/warm', use, async (ctx) => {
    const speaker = await speakerOf(ctx);
    if (!ACTIVE.includes(speaker.enrollmentStatus as SpeakerStatus)) {
      throw new AppError('CONFLICT', `the speaker is ${speaker.enrollmentStatus}; an erased speaker cannot be warmed`);
    }
    await startRewarm(deps, callerOf(ctx.state), speaker.id);
    ok(ctx, { speaker_id: speaker.id, rewarm: 'started', poll_url: `/v1/modules/scaiecho/speakers/${speaker.id}/warm` }, 202);
  });

  router.delete('/speakers/:id', eraser, async (ctx) => {
    ok(ctx, await erase(callerOf(ctx.state), await speakerOf(ctx), 'deletion'), 202);
  });

  router.post('/speakers/:id/consent/withdraw', eraser, async (ctx) => {
    ok(ctx, await erase(callerOf(ctx.state), await speakerOf(ctx), 'consent_withdrawn'), 202);
  });

  router.get('/erasures/:id', eraser, async (ctx) => {
    const erasure = await findTenantErasure(db, callerOf(ctx.state).tenantId, ctx.params.id!);
    if (!erasure) throw notFound('erasure');
    ok(ctx, erasureView(erasure));
  });

  return router;
}
