import { z } from 'zod';
import { changeRole, inviteMember, joinRoom, leaveRoom, listMembers } from '../membership.js';
import { ROOM_ROLES } from '../room-access.js';
import { archiveRoom, createRoom, getRoom, listRooms } from '../rooms.js';
import { WORKSPACE_SLUG } from '../workspace-fields.js';
import { archiveWorkspace, createWorkspace, listWorkspaces } from '../workspaces.js';
import type { WaveRouteDeps } from './deps.js';
import { callerOf } from '../../../lib/http/auth.js';
import { operation } from '../../../lib/http/operation.js';
import { member, memberView, room, roomView, workspace, workspaceView, roomParams, waveId } from '../schemas.js';
import { line } from '../../../lib/http/text.js';

// Workspaces, rooms and who is in them (domains/wave/). Every lookup is scoped to
// the caller's tenant: another tenant's workspace, room or user is 404.

const workspaceParams = z.object({ workspaceId: waveId('the workspace id') });
const memberParams = z.object({ roomId: waveId('the room id'), userId: waveId('the member user id') });
const archivedQuery = z.object({
  include_archived: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});

const newWorkspace = z.strictObject({
  slug: z.string().regex(WORKSPACE_SLUG, { message: 'lower-case letters, digits and inner hyphens, at most 64' }),
  name: line().trim().min(1).max(255),
});
const newRoom = z.strictObject({
  kind: z.enum(['channel', 'group', 'direct']),
  name: line().trim().min(1).max(255).optional().meta({ description: 'required for channels and groups' }),
  topic: line().max(1024).optional(),
  visibility: z.enum(['public', 'private']).optional().meta({ description: 'channels only (default public); groups and direct rooms are private' }),
  with_user_id: waveId('direct rooms: the other person').optional(),
});
const invitation = z.strictObject({ user_id: waveId('the user to invite'), role: z.enum(ROOM_ROLES).exclude(['owner']).default('member') });
const roleChange = z.strictObject({ role: z.enum(ROOM_ROLES) });

export function waveRoomRoutes(deps: WaveRouteDeps) {
  const tag = 'wave rooms';
  return [
    operation({
      method: 'post',
      path: '/v1/wave/workspaces',
      operationId: 'createWorkspace',
      summary: 'Create a workspace',
      tag,
      permission: ['admin:access'],
      body: newWorkspace,
      responses: { 201: { description: 'created', data: workspace } },
      errors: ['CONFLICT'],
    }).handle(async (ctx, { body }) => {
      const caller = callerOf(ctx.state);
      return { status: 201, data: workspaceView(await createWorkspace(deps.db, caller.tenantId, caller.userId, body)) };
    }),
    operation({
      method: 'get',
      path: '/v1/wave/workspaces',
      operationId: 'listWorkspaces',
      summary: "The tenant's workspaces",
      tag,
      permission: ['wave:use'],
      query: archivedQuery,
      responses: { 200: { description: 'oldest first', data: z.array(workspace) } },
    }).handle(async (ctx, { query }) => ({
      status: 200,
      data: (await listWorkspaces(deps.db, callerOf(ctx.state).tenantId, { includeArchived: query.include_archived })).map(workspaceView),
    })),
    operation({
      method: 'post',
      path: '/v1/wave/workspaces/:workspaceId/archive',
      operationId: 'archiveWorkspace',
      summary: 'Archive a workspace',
      tag,
      permission: ['admin:access'],
      params: workspaceParams,
      responses: { 200: { description: 'archived (again, if it was)', data: workspace } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => ({
      status: 200,
      data: workspaceView(await archiveWorkspace(deps.db, callerOf(ctx.state).tenantId, params.workspaceId)),
    })),
    operation({
      method: 'post',
      path: '/v1/wave/workspaces/:workspaceId/rooms',
      operationId: 'createRoom',
      summary: 'Create a room',
      description: 'The creator owns a channel or group it creates; a direct room has its two people as members and no owner.',
      tag,
      permission: ['wave:use'],
      params: workspaceParams,
      body: newRoom,
      responses: { 201: { description: 'created', data: room } },
      errors: ['NOT_FOUND', 'CONFLICT'],
    }).handle(async (ctx, { params, body }) => {
      const created = await createRoom(deps, callerOf(ctx.state), params.workspaceId, {
        kind: body.kind,
        name: body.name,
        topic: body.topic,
        visibility: body.visibility,
        withUserId: body.with_user_id,
      });
      return { status: 201, data: roomView(created) };
    }),
    operation({
      method: 'get',
      path: '/v1/wave/workspaces/:workspaceId/rooms',
      operationId: 'listRooms',
      summary: "The workspace's rooms the caller may read",
      tag,
      permission: ['wave:use'],
      params: workspaceParams,
      query: archivedQuery,
      responses: { 200: { description: 'public rooms and those the caller is in, oldest first', data: z.array(room) } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params, query }) => ({
      status: 200,
      data: (await listRooms(deps, callerOf(ctx.state), params.workspaceId, { includeArchived: query.include_archived })).map(roomView),
    })),
    operation({
      method: 'get',
      path: '/v1/wave/rooms/:roomId',
      operationId: 'getRoom',
      summary: 'A room',
      tag,
      permission: ['wave:use'],
      params: roomParams,
      responses: { 200: { description: 'the room', data: room } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => ({ status: 200, data: roomView(await getRoom(deps.sql, callerOf(ctx.state), params.roomId)) })),
    operation({
      method: 'post',
      path: '/v1/wave/rooms/:roomId/archive',
      operationId: 'archiveRoom',
      summary: 'Archive a room (owners and admins)',
      tag,
      permission: ['wave:use'],
      params: roomParams,
      responses: { 200: { description: 'archived (again, if it was)', data: room } },
      errors: ['NOT_FOUND', 'FORBIDDEN'],
    }).handle(async (ctx, { params }) => ({ status: 200, data: roomView(await archiveRoom(deps, callerOf(ctx.state), params.roomId)) })),
    operation({
      method: 'post',
      path: '/v1/wave/rooms/:roomId/join',
      operationId: 'joinRoom',
      summary: 'Join a public room',
      tag,
      permission: ['wave:use'],
      params: roomParams,
      responses: { 200: { description: 'a member now (or already)', data: member } },
      errors: ['NOT_FOUND', 'CONFLICT'],
    }).handle(async (ctx, { params }) => ({ status: 200, data: memberView(await joinRoom(deps, callerOf(ctx.state), params.roomId)) })),
    operation({
      method: 'post',
      path: '/v1/wave/rooms/:roomId/leave',
      operationId: 'leaveRoom',
      summary: 'Leave a room',
      tag,
      permission: ['wave:use'],
      params: roomParams,
      responses: { 200: { description: 'left', data: z.object({ room_id: z.string(), left: z.literal(true) }) } },
      errors: ['NOT_FOUND', 'FORBIDDEN', 'CONFLICT'],
    }).handle(async (ctx, { params }) => {
      await leaveRoom(deps, callerOf(ctx.state), params.roomId);
      return { status: 200, data: { room_id: params.roomId, left: true as const } };
    }),
    operation({
      method: 'get',
      path: '/v1/wave/rooms/:roomId/members',
      operationId: 'listRoomMembers',
      summary: "The room's members",
      tag,
      permission: ['wave:use'],
      params: roomParams,
      responses: { 200: { description: 'in the order they joined', data: z.array(member) } },
      errors: ['NOT_FOUND'],
    }).handle(async (ctx, { params }) => ({ status: 200, data: (await listMembers(deps, callerOf(ctx.state), params.roomId)).map(memberView) })),
    operation({
      method: 'post',
      path: '/v1/wave/rooms/:roomId/members',
      operationId: 'inviteRoomMember',
      summary: 'Invite a user of the tenant',
      description: 'Members invite as member or guest; owners and admins also as admin. Guests invite nobody.',
      tag,
      permission: ['wave:use'],
      params: roomParams,
      body: invitation,
      responses: { 201: { description: 'a member now', data: member } },
      errors: ['NOT_FOUND', 'FORBIDDEN', 'CONFLICT'],
    }).handle(async (ctx, { params, body }) => ({
      status: 201,
      data: memberView(await inviteMember(deps, callerOf(ctx.state), params.roomId, body.user_id, body.role)),
    })),
    operation({
      method: 'put',
      path: '/v1/wave/rooms/:roomId/members/:userId',
      operationId: 'changeRoomRole',
      summary: "Change a member's role (owners and admins)",
      tag,
      permission: ['wave:use'],
      params: memberParams,
      body: roleChange,
      responses: { 200: { description: 'the member, as it is now', data: member } },
      errors: ['NOT_FOUND', 'FORBIDDEN', 'CONFLICT'],
    }).handle(async (ctx, { params, body }) => ({
      status: 200,
      data: memberView(await changeRole(deps, callerOf(ctx.state), params.roomId, params.userId, body.role)),
    })),
  ];
}
