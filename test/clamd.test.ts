import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EICAR_SIGNATURE, eicarTestFile, startClamd } from '../devstack/clamd.js';
import { freePort } from '../devstack/ports.js';
import type { ManagedProcess } from '../devstack/process.js';
import { ClamdStreamTooLongError, ClamdUnavailableError, scanStream } from '../lib/infra/clamd.js';

// The INSTREAM client against Debian's clamd with the project's signature
// database: a clamd of this suite's own, so it can be stopped and started.

const MAX = 1024 * 1024;

/** `bytes` bytes in 64 KiB chunks, made as they are read. */
function generated(bytes: number, fill = 0x61): Readable {
  let left = bytes;
  return new Readable({
    read() {
      const n = Math.min(left, 64 * 1024);
      left -= n;
      this.push(n > 0 ? Buffer.alloc(n, fill) : null);
    },
  });
}

describe('scanning a stream with clamd', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaiwave-clamd-'));
  let port: number;
  let url: string;
  let clamd: ManagedProcess;
  const start = async (): Promise<ManagedProcess> =>
    startClamd({ port, dataDir: dir, logDir: path.join(dir, 'logs'), streamMaxBytes: MAX });

  beforeAll(async () => {
    port = await freePort();
    url = `tcp://127.0.0.1:${port}`;
    clamd = await start();
  });
  afterAll(async () => {
    await clamd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds the EICAR test file, by the project signature', async () => {
    const verdict = await scanStream(url, Readable.from([eicarTestFile()]));
    expect(verdict).toEqual({ status: 'infected', signature: `${EICAR_SIGNATURE}.UNOFFICIAL` });
  });

  it('finds EICAR split across chunks, and passes ordinary bytes', async () => {
    const eicar = eicarTestFile();
    expect(await scanStream(url, Readable.from([eicar.subarray(0, 10), eicar.subarray(10)]))).toMatchObject({ status: 'infected' });
    expect(await scanStream(url, generated(MAX - 1))).toEqual({ status: 'clean' });
  });

  it('an object over the configured limit is refused, never called clean', async () => {
    // clamd answers "size limit exceeded" and closes while the rest is still
    // being sent; when its close overtakes the answer, the answer is lost and
    // the scan is "unavailable" (retried) instead. Either way: no verdict.
    const refused = await scanStream(url, generated(3 * MAX)).then(
      (verdict) => verdict,
      (err: unknown) => err,
    );
    expect([ClamdStreamTooLongError, ClamdUnavailableError].some((type) => refused instanceof type), String(refused)).toBe(true);
  });

  it('clamd down: unavailable, not a verdict; back up: scans again', async () => {
    await clamd.stop();
    await expect(scanStream(url, Readable.from([eicarTestFile()]))).rejects.toBeInstanceOf(ClamdUnavailableError);
    clamd = await start();
    expect(await scanStream(url, Readable.from([eicarTestFile()]))).toMatchObject({ status: 'infected' });
  });
});
