import { z } from 'zod';
import { probeAudio } from '../../lib/audio/probe.js';
import { assessSpeechQuality } from '../../lib/audio/quality.js';
import type { Caller } from '../../lib/auth/caller-identity.js';
import { VARCHAR } from '../../lib/infra/columns.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/infra/ids.js';
import { enrollSpeaker, type Recording } from './enroll-speaker.js';
import { erasureView, findTenantErasure, requestErasure, type ErasureReason } from './erasures.js';
import { startErasure, startRewarm } from './client.js';
import {
  ACTIVE,
  findTenantSpeaker,
  listTenantSpeakers,
  SPEAKER_STATUSES,
  speakerView,
  type SpeakerStatus,
  type SpeakerWithRecords,
} from './speakers.js';
import { speakerWarmth } from './speaker-warmth.js';
import { WarmRegistry } from './warm-registry.js';
import { tenantLimits } from '../../lib/tenancy/tenant-limits.js';
import type { RouteDeps } from '../../lib/http/route-deps.js';
import { callerOf } from '../../lib/http/auth.js';
import { operation } from '../../lib/http/operation.js';
import { erasure as erasureSchema, speaker as speakerSchema, warmth } from './schemas.js';
import type { UploadedFile } from '../../lib/http/upload.js';
import { decimalText } from '../../lib/http/validate.js';
import { line } from '../../lib/http/text.js';

const enrollFields = z.strictObject({
  display_name: line().trim().min(1).max(VARCHAR.SpeakerProfile.displayName),
  consent_text_version: line().trim().min(1).max(VARCHAR.SpeakerConsent.textVersion),
});

const listQuery = z.object({
  status: z.enum(SPEAKER_STATUSES).optional().meta({ description: 'erased speakers are listed only when asked for' }),
  cursor: z.string().max(64).optional().meta({ description: 'next_cursor of the previous page' }),
  limit: decimalText(z.number().int().min(1).max(100)).default(20),
});

const speakerId = z.object({ id: z.string().meta({ description: 'the speaker id' }) });

/** Speaker enrollment, the warm registry, and Art. 17 erasure. */
export function speakerRoutes(deps: RouteDeps) {
  const { db, config, logger } = deps;
  const e = config.env;
  const warm = new WarmRegistry(deps.redis);
  const limitsOf = tenantLimits(db, config);
  const tag = 'speakers';
  const use: ['scaiecho:use'] = ['scaiecho:use'];
  // Compliance teams erase and follow erasures without being ScaiEcho users themselves.
  const eraser: ['scaiecho:use', 'compliance:manage'] = ['scaiecho:use', 'compliance:manage'];

  async function speakerOf(caller: Caller, id: string): Promise<SpeakerWithRecords> {
    const s = await findTenantSpeaker(db, caller.tenantId, id);
    if (!s) throw notFound('speaker');
    return s;
  }

  /** Which upload a failed probe was about, in the message. The tenant's longest transcription bounds any recording. */
  async function recording(caller: Caller, file: UploadedFile, field: string): Promise<Recording> {
    try {
      return { file, probe: await probeAudio(file.path, file.bytes, { maxDurationMs: (await limitsOf(caller.tenantId)).scaiechoMaxAudioMs }) };
    } catch (err) {
      if (err instanceof AppError) throw new AppError(err.code, `${field}: ${err.message}`, err.details);
      throw err;
    }
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

  const P = '/v1/modules/scaiecho';
  return [
    operation({
      method: 'post',
      path: `${P}/speakers`,
      operationId: 'enrollSpeaker',
      summary: 'Enroll a speaker from a reference recording and a recording of their consent',
      description:
        '422 with `details.problems` when the reference recording is too short or long, under 16 kHz, mostly silence, clipped, too quiet or too loud; ' +
        'else 202: the speaker is `pending` until every online diarization node holds it.',
      tag,
      permission: use,
      body: {
        fields: enrollFields,
        files: { reference_audio: "the speaker's reference recording", consent_recording: "the recording of the speaker's consent" },
        maxFileBytes: e.SCAIWAVE_SCAIECHO_MAX_UPLOAD_BYTES,
      },
      responses: { 202: { description: 'stored; enrollment under way: follow `poll_url`', data: speakerSchema.extend({ poll_url: z.string() }) } },
      errors: ['AUDIO_UNDECODABLE', 'AUDIO_TOO_LONG', 'UNSUPPORTED_MEDIA_TYPE', 'UNPROCESSABLE_ENTITY', 'SERVICE_UNAVAILABLE'],
    }).handle(async (ctx, { body: { fields: f, files } }) => {
      const caller = callerOf(ctx.state);
      const reference = await recording(caller, files.reference_audio!, 'reference_audio');
      const consent = await recording(caller, files.consent_recording!, 'consent_recording');
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
      const speaker = await enrollSpeaker(deps, caller, {
        displayName: f.display_name,
        consentTextVersion: f.consent_text_version,
        reference,
        consent,
        quality: report,
      });
      return { status: 202, data: { ...speakerView(speaker), poll_url: `${P}/speakers/${speaker.id}` } };
    }),
    operation({
      method: 'get',
      path: `${P}/speakers`,
      operationId: 'listSpeakers',
      summary: "The tenant's speakers, newest first",
      tag,
      permission: use,
      query: listQuery,
      responses: { 200: { description: 'a page of speakers', data: z.object({ speakers: z.array(speakerSchema), next_cursor: z.string().nullable() }) } },
    }).handle(async (ctx, { query }) => {
      const page = await listTenantSpeakers(db, callerOf(ctx.state).tenantId, query);
      return { status: 200, data: { speakers: page.speakers.map(speakerView), next_cursor: page.nextCursor } };
    }),
    operation({
      method: 'get',
      path: `${P}/speakers/:id`,
      operationId: 'getSpeaker',
      summary: 'A speaker of the tenant',
      tag,
      permission: use,
      params: speakerId,
      responses: { 200: { description: 'the speaker', data: speakerSchema } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => ({ status: 200, data: speakerView(await speakerOf(callerOf(ctx.state), params.id)) })),
    operation({
      method: 'get',
      path: `${P}/speakers/:id/warm`,
      operationId: 'getSpeakerWarmth',
      summary: 'Which diarization nodes hold the speaker, as they confirm it now',
      tag,
      permission: use,
      params: speakerId,
      responses: { 200: { description: 'warm, candidate and stale nodes', data: warmth } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => ({ status: 200, data: await speakerWarmth({ warm, registry: deps.registry, config }, (await speakerOf(callerOf(ctx.state), params.id)).id) })),
    operation({
      method: 'post',
      path: `${P}/speakers/:id/warm`,
      operationId: 'rewarmSpeaker',
      summary: 'Send the speaker again to every online diarization node',
      tag,
      permission: use,
      params: speakerId,
      responses: {
        202: {
          description: 'the re-warm started: follow `poll_url`',
          data: z.object({ speaker_id: z.string(), rewarm: z.literal('started'), poll_url: z.string() }),
        },
      },
      errors: ['NOT_FOUND', 'CONFLICT'],
    }).handle(async (ctx, { params }) => {
      const caller = callerOf(ctx.state);
      const speaker = await speakerOf(caller, params.id);
      if (!ACTIVE.includes(speaker.enrollmentStatus as SpeakerStatus)) {
        throw new AppError('CONFLICT', `the speaker is ${speaker.enrollmentStatus}; an erased speaker cannot be warmed`);
      }
      await startRewarm(deps, caller, speaker.id);
      return { status: 202, data: { speaker_id: speaker.id, rewarm: 'started' as const, poll_url: `${P}/speakers/${speaker.id}/warm` } };
    }),
    // Two ways to the same erasure: deleting the speaker, or recording that consent was withdrawn.
    ...(
      [
        {
          method: 'delete',
          path: `${P}/speakers/:id`,
          operationId: 'eraseSpeaker',
          summary: 'Erase a speaker (GDPR Art. 17)',
          description: 'Asking again answers with the erasure already under way.',
          reason: 'deletion',
        },
        {
          method: 'post',
          path: `${P}/speakers/:id/consent/withdraw`,
          operationId: 'withdrawSpeakerConsent',
          summary: "Record the speaker's withdrawal of consent, which erases them",
          description: 'Asking again, or after a deletion, answers with the erasure already under way.',
          reason: 'consent_withdrawn',
        },
      ] as const
    ).map(({ reason, ...route }) =>
      operation({
        ...route,
        tag,
        permission: eraser,
        params: speakerId,
        responses: { 202: { description: 'the erasure: follow `poll_url`', data: erasureSchema } },
        errors: ['NOT_FOUND', 'SERVICE_UNAVAILABLE'],
      }).handle(async (ctx, { params }) => {
        const caller = callerOf(ctx.state);
        return { status: 202, data: await erase(caller, await speakerOf(caller, params.id), reason) };
      }),
    ),
    operation({
      method: 'get',
      path: `${P}/erasures/:id`,
      operationId: 'getErasure',
      summary: "An erasure's progress and its per-node receipt",
      tag,
      permission: eraser,
      params: z.object({ id: z.string().meta({ description: 'the erasure id' }) }),
      responses: { 200: { description: 'the erasure', data: erasureSchema } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => {
      const found = await findTenantErasure(db, callerOf(ctx.state).tenantId, params.id);
      if (!found) throw notFound('erasure');
      return { status: 200, data: erasureView(found) };
    }),
  ];
}
