import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { prettyFactory } from 'pino-pretty';
import { waitUntil } from './ports.js';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logDir: string;
  /** Also copy output to this process's stdout, prefixed with the name: pino's JSON lines as one line a person reads (the file keeps the JSON). */
  echo?: boolean;
}

// What a terminal shows of a pino line: time, level, message, then the other
// fields on the same line; the service is the line's [prefix] already.
const pretty = prettyFactory({
  colorize: process.stdout.isTTY,
  singleLine: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,service,name',
});

/** A pino JSON line made readable; any other line (a crash's stack, a tool's own output) as it came. */
function readable(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const record = JSON.parse(line) as unknown;
    return record && typeof record === 'object' && 'level' in record && 'msg' in record ? pretty(record).trimEnd() : line;
  } catch {
    return line;
  }
}

/**
 * Starts a child in its own process group so stop() takes its children with it
 * (tsx and the temporal CLI both fork), and logs to a file so failures can be read.
 */
export function startProcess(name: string, command: string, args: string[], opts: StartOptions): ManagedProcess {
  fs.mkdirSync(opts.logDir, { recursive: true });
  const logFile = path.join(opts.logDir, `${name}.log`);
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (opts.echo) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) process.stdout.write(`[${name}] ${readable(line)}\n`);
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      log.end();
      resolve(code ?? (signal ? 128 : null));
    });
    child.once('error', (err) => {
      log.write(`spawn error: ${err.message}\n`);
      resolve(127);
    });
  });

  const signal = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined || child.exitCode !== null) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };

  return {
    name,
    child,
    logFile,
    exited,
    async stop(graceMs = 10_000) {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      signal('SIGKILL');
    },
  };
}

export function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * A reference server's TypeScript entry point as a process of its own (through
 * tsx, as in development), returned once its health URL answers; if it exits
 * first, the error carries the end of its log.
 */
export async function startReferenceServer(
  name: string,
  entry: string,
  opts: StartOptions & { what: string; healthUrl: string },
): Promise<ManagedProcess> {
  const proc = startProcess(name, process.execPath, ['--import', 'tsx', entry], opts);
  await Promise.race([
    // A model's first load can take a minute on a busy machine (the d-vector
    // engine compiles librosa's kernels on a cold cache); a dead server is caught at once below.
    waitUntil(`${opts.what} at ${opts.healthUrl}`, async () => (await fetch(opts.healthUrl)).ok, 180_000),
    proc.exited.then((code) => {
      throw new Error(`${opts.what} exited with ${code}:\n${tail(proc.logFile)}`);
    }),
  ]);
  return proc;
}
