import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';
import type { OpenApiDocument } from '../openapi/document.js';
import { operation } from '../../lib/http/operation.js';

// The contract for machines (/openapi.json) and for people (/docs: Swagger UI,
// served from the swagger-ui-dist package by this API, so it works with no
// internet and under a Content-Security-Policy that loads only from here).

const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>scaiwave API</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
    <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/assets/init.js"></script>
  </body>
</html>
`;

const fromPackage = (file: string) => () => fs.createReadStream(path.join(swaggerDir, file));

const ASSETS = {
  'swagger-ui.css': { type: 'text/css', body: fromPackage('swagger-ui.css') },
  'swagger-ui-bundle.js': { type: 'text/javascript', body: fromPackage('swagger-ui-bundle.js') },
  'favicon-32x32.png': { type: 'image/png', body: fromPackage('favicon-32x32.png') },
  'init.js': { type: 'text/javascript', body: () => INIT },
} as const;

type AssetName = keyof typeof ASSETS;

/**
 * The page's own policy, narrower than nothing-at-all only where Swagger UI
 * needs it: scripts, styles and images from this origin (its icons are data:
 * URLs, and it sets style attributes), and fetches of /openapi.json and of the
 * requests a reader tries out.
 */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function docsRoutes(document: () => OpenApiDocument) {
  const tag = 'documentation';
  return [
    operation({
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      summary: 'This API as an OpenAPI 3.1 document',
      tag,
      responses: { 200: { description: 'the document', media: 'application/json', schema: z.record(z.string(), z.unknown()) } },
    }).handle(() => ({ status: 200, body: document() })),
    operation({
      method: 'get',
      path: '/docs',
      operationId: 'getDocs',
      summary: 'This API, documented for people',
      tag,
      responses: { 200: { description: 'an HTML page (Swagger UI)', media: 'text/html', schema: z.string() } },
    }).handle((ctx) => {
      ctx.set('Content-Security-Policy', DOCS_CSP);
      return { status: 200, body: PAGE };
    }),
    operation({
      method: 'get',
      path: '/docs/assets/:name',
      operationId: 'getDocsAsset',
      summary: 'A file the documentation page loads',
      tag,
      params: z.object({ name: z.enum(Object.keys(ASSETS) as [AssetName, ...AssetName[]]) }),
      responses: { 200: { description: 'the file', media: '*/*', schema: z.string().meta({ format: 'binary' }) } },
    }).handle((ctx, { params }) => {
      const asset = ASSETS[params.name];
      ctx.type = asset.type;
      return { status: 200, body: asset.body() };
    }),
  ];
}
