import fs from 'node:fs';
import { z } from 'zod';
import { projectFile } from '../../lib/infra/project-files.js';
import { operation } from '../../lib/http/operation.js';

// /demo/live: a page where a person speaks and sees the words come
// (domains/scaiecho/live/ behind the API's live socket, or over WebRTC behind
// its signalling routes and control socket). Static files, read
// from web/live-demo/ at start, under a policy with no inline script or
// style: scripts, the worklet and the stylesheet from here, the socket to here.

const DIR = projectFile('web', 'live-demo');
const read = (file: string): string => fs.readFileSync(`${DIR}/${file}`, 'utf8');

const ASSETS = {
  'live.js': 'text/javascript',
  'webrtc.js': 'text/javascript',
  'pcm-worklet.js': 'text/javascript',
  'live.css': 'text/css',
} as const;
type AssetName = keyof typeof ASSETS;

const LIVE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "media-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function liveDemoRoutes() {
  const tag = 'documentation';
  const page = read('page.html');
  const assets = Object.fromEntries(Object.keys(ASSETS).map((name) => [name, read(name)])) as Record<AssetName, string>;
  return [
    operation({
      method: 'get',
      path: '/demo/live',
      operationId: 'getLiveDemo',
      summary: 'Live transcription in the browser: speak, and see partials and finals',
      tag,
      responses: { 200: { description: 'an HTML page', media: 'text/html', schema: z.string() } },
    }).handle((ctx) => {
      ctx.set('Content-Security-Policy', LIVE_CSP);
      return { status: 200, body: page };
    }),
    operation({
      method: 'get',
      path: '/demo/live/assets/:name',
      operationId: 'getLiveDemoAsset',
      summary: 'A file the live transcription page loads',
      tag,
      params: z.object({ name: z.enum(Object.keys(ASSETS) as [AssetName, ...AssetName[]]) }),
      responses: { 200: { description: 'the file', media: '*/*', schema: z.string() } },
    }).handle((ctx, { params }) => {
      ctx.type = ASSETS[params.name];
      ctx.set('Content-Security-Policy', LIVE_CSP);
      return { status: 200, body: assets[params.name] };
    }),
  ];
}
