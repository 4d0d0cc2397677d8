import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { z } from 'zod';
import type { Config } from '../../../lib/config.js';
import { AppError } from '../../../lib/errors.js';
import { callerOf } from '../../../lib/http/auth.js';
import { clientGone } from '../../../lib/http/client-gone.js';
import { operation, type Ctx } from '../../../lib/http/operation.js';
import { transcriptions } from '../transcribe.js';
import { scaiechoMcpServer, type McpDeps } from './tools.js';

// MCP over Streamable HTTP, stateless: every POST carries one JSON-RPC message
// (or a batch) and gets its answer as JSON, through a server and transport made
// for that request alone. No session lives in one API process, so any process
// behind the load balancer answers any request, and a long transcription is a
// job id whose state is in MariaDB, polled with scaiecho.job_status. Without
// sessions there is no server-to-client stream: GET and DELETE are 405, which
// the protocol allows and the SDK's client expects.

const message = z.looseObject({ jsonrpc: z.literal('2.0') }).meta({ description: 'a JSON-RPC 2.0 message of the Model Context Protocol' });
const rpcAnswer = z.looseObject({ jsonrpc: z.literal('2.0') });

/** The JSON body the MCP route parses: a base64 audio file at its cap, in a JSON-RPC request. */
export const mcpBodyLimit = (config: Config): number => Math.ceil(config.env.SCAIWAVE_MCP_MAX_BASE64_AUDIO_BYTES / 3) * 4 + 64 * 1024;

export function scaiechoMcpRoutes(deps: McpDeps) {
  const transcribe = transcriptions(deps);
  return [
    operation({
      method: 'post',
      path: '/v1/modules/scaiecho/mcp',
      operationId: 'mcp',
      summary: 'MCP server (Streamable HTTP): the tools scaiecho.transcribe and scaiecho.job_status',
      description:
        'The Model Context Protocol (protocol version 2025-11-25, earlier ones negotiated) over Streamable HTTP without sessions: POST one JSON-RPC message (or a batch); the answer is JSON. ' +
        'Authenticated like every /v1 route (a 401 carries `WWW-Authenticate: Bearer`). A body that is not an MCP message, or an unsupported `MCP-Protocol-Version`, is 400 VALIDATION_ERROR. ' +
        'Tool failures are results with `isError: true` whose text starts with the error code. GET and DELETE are 405: there is no session and no server-sent stream.',
      tag: 'scaiecho',
      permission: ['scaiecho:use'],
      body: z.union([message, z.array(message).min(1)]),
      responses: {
        200: { description: 'the JSON-RPC response (or responses, for a batch)', media: 'application/json', schema: z.union([rpcAnswer, z.array(rpcAnswer)]) },
        202: { description: 'notifications or responses only: accepted, nothing to answer', media: 'application/json', schema: z.string().max(0) },
      },
      errors: ['VALIDATION_ERROR'],
    }).handle(async (ctx, { body }) => {
      const server = scaiechoMcpServer(deps, transcribe, callerOf(ctx.state), clientGone(ctx));
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      try {
        await server.connect(transport);
        const answer = await transport.handleRequest(webRequest(ctx), { parsedBody: body });
        if (answer.status === 200) return { status: 200, body: await answer.text() };
        if (answer.status === 202) return { status: 202, body: '' };
        throw await refusal(answer);
      } finally {
        await server.close();
      }
    }),
  ];
}

/**
 * What the transport reads of the request; its body is handed over parsed.
 * Every answer is JSON here, so a client is not refused for leaving
 * text/event-stream out of its Accept header.
 */
function webRequest(ctx: Ctx): Request {
  const headers = new Headers({ accept: 'application/json, text/event-stream', 'content-type': 'application/json' });
  const version = ctx.get('mcp-protocol-version');
  if (version) headers.set('mcp-protocol-version', version);
  return new Request(new URL(ctx.originalUrl, 'http://mcp.invalid'), { method: 'POST', headers });
}

/** A message the transport refused (not JSON-RPC, an unsupported protocol version), as a 400 in our envelope. */
async function refusal(answer: Response): Promise<Error> {
  const text = await answer.text();
  if (answer.status !== 400) return new Error(`the MCP transport answered ${answer.status}: ${text}`);
  let message = 'not an MCP message';
  try {
    message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
  } catch {
    // the plain sentence above
  }
  return new AppError('VALIDATION_ERROR', message);
}
