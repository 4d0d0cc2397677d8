import { Option, type Command } from 'commander';
import { EXIT_CODES_HELP, lazyAction } from '../support.js';

// `scaiwave codec-server`: arguments and help; what it does is in actions/codec-server.ts.

export function registerCodecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .description("serve the Temporal UI's Remote Codec Endpoint: sealed payloads opened for signed-in platform operators, each decode audited")
    .addOption(new Option('--port <port>', 'port to listen on (default SCAIWAVE_CODEC_SERVER_PORT)').argParser((v) => Number.parseInt(v, 10)))
    .addHelpText(
      'after',
      '\nOperators sign in at the server\'s own page; the UI then sends that session with "Include cross-origin credentials".\n' +
        'Allowed UI origins: SCAIWAVE_CODEC_CORS_ORIGINS. Runs until interrupted.\n' +
        EXIT_CODES_HELP,
    )
    .action(lazyAction(() => import('../actions/codec-server.js').then((m) => m.codecServerCommand)));
}
