import { Option, type Command } from 'commander';
import { EXIT_CODES_HELP, lazyAction } from '../support.js';

// `scaiwave codec-server` and `scaiwave codec rotate`: arguments and help;
// what they do is in actions/codec.ts.

const actions = () => import('../actions/codec.js');

export function registerCodecCommands(program: Command): void {
  program
    .command('codec-server')
    .description("serve the Temporal UI's Remote Codec Endpoint: sealed payloads opened for signed-in platform operators, each decode audited")
    .addOption(new Option('--port <port>', 'port to listen on (default SCAIWAVE_CODEC_SERVER_PORT)').argParser((v) => Number.parseInt(v, 10)))
    .addHelpText(
      'after',
      '\nOperators sign in at the server\'s own page; the UI then sends that session with "Include cross-origin credentials".\n' +
        'Allowed UI origins: SCAIWAVE_CODEC_CORS_ORIGINS. Runs until interrupted. See docs/payload-codec.md.\n' +
        EXIT_CODES_HELP,
    )
    .action(lazyAction(() => actions().then((m) => m.codecServerCommand)));

  program
    .command('codec')
    .description('the payload codec\'s data keys')
    .command('rotate')
    .description('a new data key for a tenant (or the deployment): payloads sealed from now on take it, older ones keep theirs')
    .addOption(new Option('--tenant <slug>', 'the tenant whose key to rotate').conflicts('deployment'))
    .addOption(new Option('--deployment', "the deployment's own key (payloads that name no tenant)"))
    .addHelpText('after', '\nProcesses pick the new key up within 30 s (their key cache).\n' + EXIT_CODES_HELP)
    .action(lazyAction(() => actions().then((m) => m.rotateCommand)));
}
