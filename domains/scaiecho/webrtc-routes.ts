import { z } from 'zod';
import { callerOf } from '../../lib/http/auth.js';
import { operation } from '../../lib/http/operation.js';
import { openFrame } from './live/frames.js';
import type { WebRtcSessions } from './live/webrtc-sessions.js';

// Signalling of live transcription over WebRTC (the session:
// live/webrtc-session.ts; its frames: the control socket, api/webrtc-socket.ts).
// These routes translate HTTP only.

/** What the WebRTC routes reach beside what every route has: this process's sessions. */
export interface WebRtcRouteDeps {
  webrtc: WebRtcSessions;
}

const BASE = '/v1/modules/scaiecho/stream/transcribe/webrtc/sessions';

const offer = z.strictObject({
  sdp: z
    .string()
    .max(64 * 1024)
    .regex(/^v=0\r?\n/, { message: 'an SDP offer, starting with v=0' })
    .meta({ description: "the browser's offer (RTCPeerConnection.localDescription.sdp) once ICE gathering is complete: an audio section offering Opus" }),
  language: openFrame.shape.language,
  backend_preference: openFrame.shape.backend_preference,
});

const answered = z.object({
  session_id: z.string().meta({ description: 'the WebRTC session: its control socket and DELETE take it' }),
  stream_session_id: z.string().meta({ description: 'the live session it feeds, as the ready and closed frames name it' }),
  sdp: z.string().meta({ description: "the answer, every candidate in it: set it as the remote description, no trickle follows" }),
  events_url: z.string().meta({ description: 'the control socket, a path on this API: upgrade it with the same bearer (or access_token)' }),
  backend_used: z.literal('A'),
  sample_rate: z.number().int().meta({ description: 'the rate the audio is decoded to for the STT node' }),
});

const closedSummary = z.object({
  session_id: z.string().meta({ description: 'the stream session' }),
  reason: z.string(),
  audio_ms: z.number().int(),
  text: z.string(),
  segments: z.array(z.object({ start_ms: z.number().int(), end_ms: z.number().int(), text: z.string() })),
});

const sessionId = z.object({ id: z.string().max(64).meta({ description: 'the WebRTC session id' }) });

export function webrtcRoutes(sessions: WebRtcSessions) {
  const tag = 'scaiecho';
  const permission: ['scaiecho:use'] = ['scaiecho:use'];
  return [
    operation({
      method: 'post',
      path: BASE,
      operationId: 'openWebRtcSession',
      summary: 'Live transcription over WebRTC: answer an offer',
      description:
        'Audio comes over the peer connection (Opus, which the server decodes to 16 kHz); the transcript comes on the control socket at `events_url`, frames as the live WebSocket sends them. ' +
        'The session is open on a node when this answers: 400 for an offer that cannot be answered, 503 BACKEND_UNAVAILABLE when no self-hosted node is online or the tenant allows only the relay, 503 SERVICE_UNAVAILABLE when this instance holds all the sessions it may.',
      tag,
      permission,
      body: offer,
      responses: { 201: { description: 'answered: set the answer, attach the control socket', data: answered } },
      errors: ['SERVICE_UNAVAILABLE', 'BACKEND_UNAVAILABLE'],
    }).handle(async (ctx, { body }) => {
      const s = await sessions.open(callerOf(ctx.state), body);
      return {
        status: 201,
        data: { session_id: s.session.id, stream_session_id: s.streamSessionId, sdp: s.answer, events_url: `${BASE}/${s.session.id}/events`, backend_used: 'A' as const, sample_rate: s.sampleRate },
      };
    }),
    operation({
      method: 'delete',
      path: `${BASE}/:id`,
      operationId: 'closeWebRtcSession',
      summary: 'End a WebRTC session: drain, then close',
      description:
        'As the close frame: the last utterance is finished on the node, the control socket gets it and the closed frame, then the peer connection is closed. Answers the closed summary. ' +
        "Another caller's session is 404; 503 BACKEND_UNAVAILABLE when the node failed while finishing.",
      tag,
      permission,
      params: sessionId,
      responses: { 200: { description: 'closed', data: closedSummary } },
      errors: ['NOT_FOUND', 'BACKEND_UNAVAILABLE', 'SERVICE_DRAINING'],
    }).handle(async (ctx, { params }) => {
      return { status: 200, data: await sessions.find(callerOf(ctx.state), params.id).stop() };
    }),
  ];
}
