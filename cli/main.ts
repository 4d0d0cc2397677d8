import { runCli } from './program.js';

// A reader that stops early (`scaiwave --help | head -1`) closes the pipe and the
// next write fails with EPIPE. Like a Unix tool, stop quietly then — nobody is left
// to read — with the exit code the command had reached, instead of a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit();
  });
}

const code = await runCli(process.argv);
process.exitCode = code;
// Everything is closed by now; this only guards against a stray handle keeping
// a script waiting. Unref'd, so it never delays a normal exit.
setTimeout(() => process.exit(code), 5_000).unref();
