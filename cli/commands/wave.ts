import { InvalidArgumentError, type Command } from 'commander';
import { WORKSPACE_SLUG } from '../../lib/wave/workspace-fields.js';
import { EXIT_CODES_HELP, lazyAction } from '../support.js';
import { jsonOption, parseName, parseSlug } from './admin/arguments.js';

// `scaiwave workspace create|list` and `scaiwave room list|show`: arguments and
// help; what they do is in actions/wave.ts. Operators see rooms' metadata and
// membership, never message text.

const actions = () => import('../actions/wave.js');

function parseWorkspaceSlug(value: string): string {
  if (!WORKSPACE_SLUG.test(value)) throw new InvalidArgumentError('must be 1-64 lowercase letters, digits or inner dashes.');
  return value;
}

export function registerWaveCommands(program: Command): void {
  const workspace = program.command('workspace').description("ScaiWave workspaces: a tenant's groups of rooms");
  workspace
    .command('create')
    .description('create a workspace in a tenant')
    .argument('<slug>', 'workspace slug, unique in the tenant', parseWorkspaceSlug)
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .requiredOption('--name <name>', 'display name', parseName)
    .addOption(jsonOption())
    .addHelpText('after', `\nExample:\n  scaiwave workspace create engineering --tenant acme --name "Engineering"\n${EXIT_CODES_HELP}`)
    .action(lazyAction(() => actions().then((m) => m.createWorkspaceCommand)));
  workspace
    .command('list')
    .description("a tenant's workspaces, with their rooms counted")
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.listWorkspacesCommand)));

  const room = program.command('room').description('ScaiWave rooms (metadata and members; never message text)');
  room
    .command('list')
    .description("a tenant's rooms, private ones included: kind, visibility, members, messages")
    .requiredOption('--tenant <slug>', 'the tenant', parseSlug)
    .option('--workspace <slug>', 'only this workspace', parseWorkspaceSlug)
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.listRoomsCommand)));
  room
    .command('show')
    .description('one room: its settings, members with their roles, message count and last activity')
    .argument('<room-id>', 'the room id')
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.showRoomCommand)));
  room
    .command('export')
    .description("bundle a room's messages and media for compliance: starts the export, shows its progress, downloads the bundle and verifies it")
    .argument('<room-id>', 'the room id')
    .option('--since <time>', 'messages and media created at or after this (ISO 8601; default: the room\'s beginning)')
    .option('--until <time>', 'and before this (default: now)')
    .option('--out <file>', 'where to write the bundle (default: room-<room-id>-<export-id>.tar)')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nThe export is a workflow (wave-room-export-{exportId}): stopping this command leaves it running; GET /v1/wave/exports/{id} follows it. ' +
        `The bundle's format: docs/export-format.md.\n\nExample:\n  scaiwave room export 0192f0aa-… --since 2026-11-01 --out november.tar\n${EXIT_CODES_HELP}`,
    )
    .action(lazyAction(() => import('../actions/room-export.js').then((m) => m.roomExportCommand)));
}
