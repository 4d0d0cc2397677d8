import { COMPLIANCE_PERMISSIONS } from '../../../lib/auth/permissions.js';
import { z } from 'zod';
import { AppError } from '../../../lib/errors.js';
import { cancelRoomExport, startRoomExport } from '../client.js';
import { callerRequest, exportStatus, findExport, requestExport } from '../exports.js';
import type { RouteDeps } from '../../../lib/http/route-deps.js';
import { callerOf } from '../../../lib/http/auth.js';
import { operation } from '../../../lib/http/operation.js';
import { roomExport, roomExportView } from '../schemas/export.js';
import { roomParams, waveId } from '../../wave/schemas.js';

// Compliance exports of a room (domains/export/). Compliance officers and admins
// only; the room is found in the caller's tenant or not at all.

const exportParams = z.object({ exportId: waveId('the export id') });
const newExport = z.strictObject({
  since: z.iso.datetime({ offset: true }).optional().meta({ description: 'messages and media created at or after this (default: the room\'s beginning)' }),
  until: z.iso.datetime({ offset: true }).optional().meta({ description: 'and before this (default: now); not in the future' }),
});

export function waveExportRoutes(deps: RouteDeps) {
  const tag = 'wave exports';
  const compliance = COMPLIANCE_PERMISSIONS;
  return [
    operation({
      method: 'post',
      path: '/v1/wave/rooms/:roomId/exports',
      operationId: 'exportRoom',
      summary: "Export a room's messages and media as a verifiable bundle",
      description:
        'Starts the export and answers at once; follow it at GET /v1/wave/exports/{id}. The bundle (docs/export-format.md) holds the messages with every revision, ' +
        'tombstones, reactions and thread links, the members and their history, and the media files, each with its sha256 in a manifest.',
      tag,
      permission: compliance,
      params: roomParams,
      body: newExport,
      responses: { 202: { description: 'started', data: roomExport } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params, body }) => {
      const caller = callerOf(ctx.state);
      const e = await requestExport(deps.db, callerRequest(caller), params.roomId, {
        since: body.since ? new Date(body.since) : undefined,
        until: body.until ? new Date(body.until) : undefined,
      });
      await startRoomExport(deps, e);
      return { status: 202, data: roomExportView(await exportStatus(deps, e)) };
    }),
    operation({
      method: 'get',
      path: '/v1/wave/exports/:exportId',
      operationId: 'getRoomExport',
      summary: 'An export: its progress, and when completed a short-lived download URL',
      tag,
      permission: compliance,
      params: exportParams,
      responses: { 200: { description: 'the export', data: roomExport } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => {
      const e = await findExport(deps.db, callerOf(ctx.state).tenantId, params.exportId);
      return { status: 200, data: roomExportView(await exportStatus(deps, e)) };
    }),
    operation({
      method: 'delete',
      path: '/v1/wave/exports/:exportId',
      operationId: 'cancelRoomExport',
      summary: 'Cancel a running export: its upload is aborted and nothing of it stays visible',
      tag,
      permission: compliance,
      params: exportParams,
      responses: { 202: { description: 'cancelling; the export shows `cancelled` once it has cleaned up', data: roomExport } },
      errors: ['NOT_FOUND', 'CONFLICT'],
    }).handle(async (ctx, { params }) => {
      const e = await findExport(deps.db, callerOf(ctx.state).tenantId, params.exportId);
      if (e.status !== 'running') throw new AppError('CONFLICT', `the export is ${e.status}`);
      await cancelRoomExport(deps, e.id);
      return { status: 202, data: roomExportView(await exportStatus(deps, e)) };
    }),
  ];
}
