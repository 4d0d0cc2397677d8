import { Option, type Command } from 'commander';
import { EXIT_CODES_HELP, lazyAction } from '../support.js';
import { jsonOption } from './admin/arguments.js';

// `scaiwave export verify`: arguments and help; what it does is in actions/export.ts.
// It reads only the file (and the key) it is given: no database, no Temporal, no
// SCAIWAVE_* settings, so a recipient can run it offline.

const actions = () => import('../actions/export.js');

export function registerExportCommands(program: Command): void {
  const exports = program.command('export').description('room export bundles (format: docs/export-format.md)');
  exports
    .command('verify')
    .description("check a room bundle offline: every file's size and sha256 against the manifest, the manifest's own hash, and its signature")
    .argument('<file>', 'the bundle (.tar)')
    .addOption(
      new Option(
        '--public-key <file-or-base64>',
        "the exporter's Ed25519 public key (PEM, or base64 SPKI DER as manifest.sig carries it; a file holding either, or DER): the bundle must be signed with it",
      ),
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nPrints each file as it is checked, then a summary: files, bytes, messages (from the manifest) and the\n' +
        'fingerprint of the key that signed it (first 16 hex digits of the sha256 of its SPKI DER). Without\n' +
        '--public-key a bundle signed by any key holds, and so does an unsigned one: compare the fingerprint\n' +
        'with the one the exporter published, or pin the key. Exits 6 naming every file that does not hold.\n\n' +
        'Example:\n  scaiwave export verify room-export.tar --public-key exporter.pub.pem\n' +
        EXIT_CODES_HELP,
    )
    .action(lazyAction(() => actions().then((m) => m.verifyCommand)));
}
