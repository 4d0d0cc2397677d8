import { z } from 'zod';
import { callerOf } from '../../../lib/http/auth.js';
import { clientGone } from '../../../lib/http/client-gone.js';
import { operation } from '../../../lib/http/operation.js';
import { boolField, decimalText } from '../../../lib/http/validate.js';
import type { TranscriptionRouteDeps } from '../routes.js';
import { transcriptions } from '../transcribe.js';
import { notFound } from '../../../lib/errors.js';
import { findCallerJob } from '../jobs.js';
import { modelList } from './models.js';
import { transcriptOf, type OaiTranscript } from './transcript.js';
import { toSrt } from './srt.js';
import { toTextEvents } from './text-events.js';
import { oaiTranscriptions } from './transcription.js';
import { toJson, toVerboseJson } from './verbose-json.js';
import { toVtt } from './vtt.js';

const RESPONSE_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const;

const fields = z.strictObject({
  model: z.string().min(1).max(64).meta({ description: '`whisper-1`, or another name `GET /oai/v1/models` lists' }),
  language: z
    .string()
    .regex(/^[a-z]{2}$/, { message: 'must be an ISO-639-1 code such as en' })
    .optional(),
  prompt: z.string().max(4096).optional().meta({ description: "accepted for compatibility; this server's speech engines take no prompt" }),
  temperature: decimalText(z.number().min(0).max(1)).optional(),
  response_format: z.enum(RESPONSE_FORMATS).default('json'),
  'timestamp_granularities[]': z
    .array(z.enum(['word', 'segment']))
    .default([])
    .meta({ description: 'with verbose_json: `segment`. `word` is refused (400): the speech engines give segment times only' }),
  stream: boolField.default(false).meta({ description: 'answer as server-sent events: `transcript.text.delta`, then `transcript.text.done`' }),
});

const usage = z.object({ type: z.literal('duration'), seconds: z.number() });
const json = z.object({ text: z.string(), usage });
const verboseJson = z
  .object({
    task: z.literal('transcribe'),
    language: z.string().meta({ description: 'the language code detected or asked for (`en`)' }),
    duration: z.number().meta({ description: 'seconds' }),
    text: z.string(),
    segments: z.array(z.object({ id: z.number().int(), start: z.number(), end: z.number(), text: z.string() })),
    usage,
  })
  .meta({ id: 'OaiTranscriptionVerbose' });
const text = z.string();

/** The transcript in the form the request asked for; `resource` names its job, for a retry under the same Idempotency-Key. */
function answerAs(f: z.output<typeof fields>, t: OaiTranscript) {
  const as = <M extends string>(media: M, body: unknown) => ({ status: 200 as const, media, body, resource: t.jobId });
  if (f.stream) return as('text/event-stream', toTextEvents(t));
  switch (f.response_format) {
    case 'json':
      return as('application/json', toJson(t));
    case 'verbose_json':
      return as('application/json', toVerboseJson(t));
    case 'text':
      return as('text/plain', `${t.text}\n`);
    case 'srt':
      return as('application/x-subrip', toSrt(t));
    case 'vtt':
      return as('text/vtt', toVtt(t));
  }
}

/**
 * OpenAI's transcription API (seed 003's compat endpoint), for the clients
 * written against it: its request fields, its answers, its errors
 * (oai/error-body.ts). Behind the same authentication, rate limits, budgets
 * and accounting as /v1.
 */
export function oaiRoutes(deps: TranscriptionRouteDeps) {
  const transcribe = oaiTranscriptions(transcriptions(deps));
  const tag = 'openai-compatible';
  const permission: ['scaiecho:use'] = ['scaiecho:use'];
  return [
    operation({
      method: 'post',
      path: '/oai/v1/audio/transcriptions',
      operationId: 'oaiCreateTranscription',
      summary: 'Transcribe audio, as OpenAI’s API does',
      description:
        "OpenAI's `POST /v1/audio/transcriptions`: point an OpenAI SDK at `<api>/oai/v1` with an `sgk_` key. Answered inline by the first wired backend; " +
        'a file over SCAIWAVE_SCAIECHO_ASYNC_AUDIO_THRESHOLD_BYTES is 413 (send it to `/v1/modules/scaiecho/transcribe`, which queues it). ' +
        'Refusals are OpenAI\'s `{"error": {"message", "type", "param", "code"}}`.',
      tag,
      permission,
      body: { fields, files: { file: 'an audio file' }, maxFileBytes: deps.config.env.SCAIWAVE_SCAIECHO_ASYNC_AUDIO_THRESHOLD_BYTES },
      responses: {
        200: {
          description: 'the transcript, in the response_format asked for (or server-sent events with stream=true)',
          content: { 'application/json': z.union([json, verboseJson]), 'text/plain': text, 'text/vtt': text, 'application/x-subrip': text, 'text/event-stream': text },
        },
      },
      errors: ['NOT_FOUND', 'AUDIO_UNDECODABLE', 'BUDGET_EXCEEDED', 'AUDIO_TOO_LONG', 'SERVICE_UNAVAILABLE', 'BACKEND_UNAVAILABLE', 'UPSTREAM_TIMEOUT'],
      idempotent: {
        resource: (reply) => reply.resource!,
        replay: async (ctx, { resourceId }, { body: { fields: f } }) => {
          const job = await findCallerJob(deps.sql, callerOf(ctx.state), resourceId);
          if (!job) throw notFound('transcription');
          return answerAs(f, transcriptOf(job));
        },
      },
    }).handle(async (ctx, { body: { fields: f, files } }) => {
      const request = {
        model: f.model,
        language: f.language,
        temperature: f.temperature,
        granularities: f['timestamp_granularities[]'],
        verbose: f.response_format === 'verbose_json',
      };
      return answerAs(f, await transcribe(callerOf(ctx.state), files.file!, request, clientGone(ctx)));
    }),
    operation({
      method: 'get',
      path: '/oai/v1/models',
      operationId: 'oaiListModels',
      summary: 'The models the OpenAI-compatible route answers to, as OpenAI lists them',
      tag,
      responses: {
        200: {
          description: 'OpenAI\'s list shape',
          media: 'application/json',
          schema: z.object({
            object: z.literal('list'),
            data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() })),
          }),
        },
      },
    }).handle(() => ({ status: 200, body: modelList() })),
  ];
}
