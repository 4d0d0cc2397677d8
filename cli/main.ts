import { runCli } from './program.js';

const code = await runCli(process.argv);
process.exitCode = code;
// Everything is closed by now; this only guards against a stray handle keeping
// a script waiting. Unref'd, so it never delays a normal exit.
setTimeout(() => process.exit(code), 5_000).unref();
