import { COMPLIANCE_PERMISSIONS } from '../../../lib/auth/permissions.js';
import { z } from 'zod';
import { AppError } from '../../../lib/errors.js';
import { findImport, importWorkspace, receiveBundle, BUNDLE_MEDIA_TYPE } from '../imports.js';
import { NO_WAIVERS, trustedImportKeys } from '../import-trust.js';
import { startImport } from '../client.js';
import type { RouteDeps } from '../../../lib/http/route-deps.js';
import { callerOf } from '../../../lib/http/auth.js';
import { operation } from '../../../lib/http/operation.js';
import { importView, waveImport } from '../schemas/import.js';
import { waveId } from '../../wave/schemas.js';

// Importing a room bundle (domains/export/imports.ts): compliance officers and the
// tenant's admins send it, follow it, and read why it was refused.

const workspaceParams = z.object({ workspaceId: waveId('the workspace to import into') });
const importParams = z.object({ importId: waveId('the import id') });

export function waveImportRoutes(deps: RouteDeps) {
  const tag = 'wave compliance';
  const permission = COMPLIANCE_PERMISSIONS;
  const maxBytes = deps.config.env.SCAIWAVE_IMPORT_MAX_BYTES;
  // Nothing is waived through the API: only an operator at the CLI may (domains/export/import-trust.ts).
  const terms = { trusted: trustedImportKeys(deps.config.env), waivers: NO_WAIVERS, operator: null };
  return [
    operation({
      method: 'post',
      path: '/v1/wave/workspaces/:workspaceId/imports',
      operationId: 'importRoom',
      summary: 'Import a room bundle into a workspace',
      description:
        'The body is the bundle (`scaiwave room export`, `POST …/rooms/{id}/exports`) as sent: streamed to storage, never held in memory. ' +
        'A bundle is taken only when signed by a key this deployment trusts (its own export key, SCAIWAVE_IMPORT_PUBLIC_KEY) and exported from ' +
        "the caller's tenant: anything else is refused 422 as it arrives, with nothing stored. " +
        'The import verifies every checksum before it writes anything, then restores the room, its members ' +
        '(by ScaiKey subject; placeholders for unknown ones), messages and media. Sending the same bundle to the same workspace again answers with the same import.',
      tag,
      permission,
      params: workspaceParams,
      body: { media: BUNDLE_MEDIA_TYPE, description: 'the room bundle (a ustar archive)', maxBytes },
      responses: { 202: { description: 'accepted: follow it at GET /v1/wave/imports/{id}', data: waveImport } },
      errors: ['NOT_FOUND', 'CONFLICT', 'IMPORT_BUNDLE_INVALID', 'IMPORT_SIGNATURE_INVALID', 'IMPORT_UNTRUSTED_SIGNER', 'IMPORT_TENANT_MISMATCH', 'CLIENT_CLOSED_REQUEST', 'SERVICE_UNAVAILABLE'],
    }).handle(async (ctx, { params, body }) => {
      const caller = callerOf(ctx.state);
      await importWorkspace(deps.db, caller.tenantId, params.workspaceId);
      const request = { tenantId: caller.tenantId, workspaceId: params.workspaceId, requestedById: caller.userId };
      const importDeps = { db: deps.db, s3: deps.s3, bucket: deps.config.env.SCAIWAVE_S3_BUCKET, logger: deps.logger };
      const { row, start } = await receiveBundle(importDeps, request, terms, body, maxBytes);
      if (start) {
        await startImport(deps, caller, row.id).catch((err: unknown) => {
          deps.logger.error({ err, importId: row.id }, 'could not start the import workflow');
          throw new AppError('SERVICE_UNAVAILABLE', 'the bundle is stored but its import could not be started; send it again');
        });
      }
      return { status: 202, data: importView(row) };
    }),
    operation({
      method: 'get',
      path: '/v1/wave/imports/:importId',
      operationId: 'getImport',
      summary: 'An import: its status, counts, the room once done, the problems when refused',
      tag,
      permission,
      params: importParams,
      responses: { 200: { description: 'the import', data: waveImport } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => ({ status: 200, data: importView(await findImport(deps.db, callerOf(ctx.state).tenantId, params.importId)) })),
  ];
}
