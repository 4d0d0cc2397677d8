import fs from 'node:fs';
import path from 'node:path';
import { portOpen, waitUntil } from './ports.js';
import { startProcess, tail, type ManagedProcess } from './process.js';

// clamd (Debian's clamav-daemon) with a signature database of the project's
// own: freshclam cannot reach its mirrors from here, and clamd refuses to
// start with no signatures at all. The one signature is the EICAR test file,
// the industry's agreed harmless stand-in for a virus; it must start at byte 0,
// as the EICAR definition says.
const EICAR = String.raw`X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`;
export const EICAR_SIGNATURE = 'Scaiwave.Test.EICAR';

export interface ClamdOptions {
  port: number;
  dataDir: string;
  logDir: string;
  /** What clamd accepts over INSTREAM; bigger objects are refused unscanned. */
  streamMaxBytes: number;
}

export const CLAMD_BINARY = '/usr/sbin/clamd';

export function eicarTestFile(): Buffer {
  return Buffer.from(EICAR, 'ascii');
}

/** Writes the signature database and clamd.conf, starts clamd in the foreground and waits until it listens. */
export async function startClamd(opts: ClamdOptions): Promise<ManagedProcess> {
  const dbDir = path.join(opts.dataDir, 'signatures');
  fs.mkdirSync(dbDir, { recursive: true });
  fs.writeFileSync(path.join(dbDir, 'scaiwave-test.ndb'), `${EICAR_SIGNATURE}:0:0:${Buffer.from(EICAR, 'ascii').toString('hex')}\n`);
  const conf = path.join(opts.dataDir, 'clamd.conf');
  fs.writeFileSync(
    conf,
    [
      'Foreground yes',
      'TCPAddr 127.0.0.1',
      `TCPSocket ${opts.port}`,
      `DatabaseDirectory ${dbDir}`,
      `StreamMaxLength ${opts.streamMaxBytes}`,
      `MaxScanSize ${opts.streamMaxBytes}`,
      `MaxFileSize ${opts.streamMaxBytes}`,
      'LogTime yes',
      '',
    ].join('\n'),
  );
  const proc = startProcess('clamd', CLAMD_BINARY, [`--config-file=${conf}`], { logDir: opts.logDir });
  try {
    await Promise.race([
      waitUntil(`clamd on port ${opts.port}`, () => portOpen('127.0.0.1', opts.port), 120_000),
      proc.exited.then((code) => {
        throw new Error(`clamd exited with ${code}:\n${tail(proc.logFile)}`);
      }),
    ]);
  } catch (err) {
    await proc.stop(2000);
    throw err;
  }
  return proc;
}
