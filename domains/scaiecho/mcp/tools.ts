import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Caller } from '../../../lib/auth/caller-identity.js';
import { notFound } from '../../../lib/errors.js';
import type { TempFile } from '../../../lib/http/temp-file.js';
import { findCallerJob } from '../jobs.js';
import type { TranscriptionRouteDeps } from '../routes.js';
import type { transcriptions } from '../transcribe.js';
import type { WaveDeps } from '../../wave/change.js';
import { receiveAudio } from './audio-source.js';
import { jobStatusInput, transcribeInput, transcriptionOutput } from './tool-schemas.js';
import { jobResult, toolError } from './tool-results.js';

export type McpDeps = TranscriptionRouteDeps & WaveDeps;

/**
 * ScaiEcho's MCP server for one request of one caller: the same
 * transcription lifecycle as POST …/transcribe (transcribe.ts), so the same
 * guards, budget, inline-or-queued rule and accounting; the caller's jobs
 * read as GET …/jobs/{id} reads them. Built per request (stateless: see routes.ts).
 */
export function scaiechoMcpServer(deps: McpDeps, transcribe: ReturnType<typeof transcriptions>, caller: Caller, gone: AbortSignal): McpServer {
  const server = new McpServer({ name: 'scaiecho', title: 'ScaiEcho', version: '1.0.0' }, { capabilities: { tools: {} } });

  server.registerTool(
    'scaiecho.transcribe',
    {
      title: 'Transcribe audio',
      description:
        'Speech to text. Give the audio as exactly one of audio_base64, url or media_id. Short audio is answered with its transcript; ' +
        'long audio (or async: true) is queued and answered with a job_id to poll with scaiecho.job_status.',
      inputSchema: transcribeInput,
      outputSchema: transcriptionOutput,
    },
    async (input, extra) => {
      const signal = AbortSignal.any([extra.signal, gone]);
      let audio: TempFile | undefined;
      try {
        audio = await receiveAudio(deps, caller, input, signal);
        const request = { language: input.language, backendPreference: input.backend_preference, forceAsync: input.async, speakers: undefined };
        const { job } = await transcribe(caller, audio, request, signal);
        return jobResult(job);
      } catch (err) {
        return toolError(err, deps.logger);
      } finally {
        await audio?.cleanup();
      }
    },
  );

  server.registerTool(
    'scaiecho.job_status',
    {
      title: 'Transcription job status',
      description: "A transcription job's status, and its transcript once completed.",
      inputSchema: jobStatusInput,
      outputSchema: transcriptionOutput,
      annotations: { readOnlyHint: true },
    },
    async ({ job_id }) => {
      try {
        const job = await findCallerJob(deps.sql, caller, job_id);
        if (!job) throw notFound('job');
        return jobResult(job);
      } catch (err) {
        return toolError(err, deps.logger);
      }
    },
  );
  return server;
}
