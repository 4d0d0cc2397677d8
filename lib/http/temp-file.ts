import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors.js';

/** Bytes on local disk, counted and hashed on the way in, as an upload leaves them (upload.ts). */
export interface TempFile {
  path: string;
  bytes: number;
  sha256: string;
  /** Removes the file; call in a finally. */
  cleanup(): Promise<void>;
}

/**
 * Streams `source` to a temporary file, cut off with 413 PAYLOAD_TOO_LARGE at
 * `maxBytes` (what a body announces is not trusted: the count is of bytes read),
 * so audio from elsewhere is never held whole in memory.
 */
export async function writeTempFile(source: Readable, maxBytes: number, what: string): Promise<TempFile> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'scaiwave-audio-'));
  const target = path.join(dir, 'audio');
  const cleanup = (): Promise<void> => fs.promises.rm(dir, { recursive: true, force: true });
  const hash = createHash('sha256');
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > maxBytes) return cb(new AppError('PAYLOAD_TOO_LARGE', `${what} is larger than ${maxBytes} bytes`));
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(source, count, fs.createWriteStream(target));
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { path: target, bytes, sha256: hash.digest('hex'), cleanup };
}
