import { InvalidArgumentError, type Command } from 'commander';
import { WORKSPACE_SLUG } from '../../domains/wave/workspace-fields.js';
import { EXIT_CODES_HELP, lazyAction } from '../support.js';
import { jsonOption, parseName, parseSlug } from './admin/arguments.js';

// `scaiwave workspace create|list` and `scaiwave room list|show|import`:
// arguments and help; what they do is in actions/wave.ts and actions/wave-import.ts.
// Operators see rooms' metadata and membership, never message text.

const actions = () => import('../actions/wave.js');
const importActions = () => import('../actions/wave-import.js');

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
  room
    .command('import')
    .description('import a room bundle (`scaiwave room export`, or the API) into a workspace: verified first, then restored')
    .argument('<workspace>', 'the workspace id, or its slug with --tenant')
    .argument('<file>', 'the bundle (.tar)')
    .option('--tenant <slug>', "the workspace's tenant; naming it also lets in a bundle exported from another tenant (audited)", parseSlug)
    .option('--allow-unsigned', 'take a bundle that is unsigned or signed by a key this deployment does not trust (audited; a signature present must still hold)')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nA bundle must be signed by a key this deployment trusts (its own SCAIWAVE_EXPORT_SIGNING_KEY, the keys of\n' +
        'SCAIWAVE_IMPORT_PUBLIC_KEY) and come from the workspace\'s tenant; otherwise it is refused (exit 6) before\n' +
        'anything is stored, unless --allow-unsigned / --tenant waive it: the import row and the audit log name you.\n' +
        'The bundle goes to S3 and a workflow (wave-room-import-{importId}) verifies every checksum before it\n' +
        'writes anything, then restores the room, its members (mapped by ScaiKey subject;\n' +
        'deactivated placeholder users for subjects unknown here), messages with their revisions, deletions and\n' +
        'reactions, and media (scanned here again). Progress goes to stderr. The same bundle sent to the same\n' +
        'workspace is the same import: running the command again changes nothing. A refused bundle exits 6\n' +
        'naming the files that do not hold.\n\n' +
        `Example:\n  scaiwave room import ops room-export.tar --tenant acme\n${EXIT_CODES_HELP}`,
    )
    .action(lazyAction(() => importActions().then((m) => m.importRoomCommand)));
}
