import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Context } from 'koa';
import busboy from 'busboy';
import { AppError } from '../lib/errors.js';

export interface UploadedFile {
  path: string;
  bytes: number;
  sha256: string;
  filename: string;
}

export interface Upload {
  files: Record<string, UploadedFile>;
  fields: Record<string, string>;
  /** Removes the temporary files; call in a finally. */
  cleanup(): Promise<void>;
}

/**
 * Streams a multipart body to temporary files while hashing and counting, so
 * an upload is never held whole in memory and an oversized one is cut off at
 * the cap (413) without reading the rest.
 */
export async function receiveMultipart(ctx: Context, opts: { maxFileBytes: number; fileFields: string[] }): Promise<Upload> {
  if (!ctx.is('multipart/form-data')) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the request as multipart/form-data');
  }
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'scaiwave-upload-'));
  const files: Record<string, UploadedFile> = {};
  const fields: Record<string, string> = {};
  const cleanup = (): Promise<void> => fs.promises.rm(dir, { recursive: true, force: true });
  const writes: Promise<void>[] = [];

  try {
    await new Promise<void>((resolve, reject) => {
      let bb: busboy.Busboy;
      try {
        bb = busboy({
          headers: ctx.req.headers,
          limits: { fileSize: opts.maxFileBytes, files: opts.fileFields.length, fields: 20, fieldSize: 64 * 1024 },
        });
      } catch {
        reject(new AppError('VALIDATION_ERROR', 'malformed multipart body'));
        return;
      }
      bb.on('field', (name, value) => {
        fields[name] = value;
      });
      bb.on('file', (name, stream, info) => {
        if (!opts.fileFields.includes(name) || files[name]) {
          stream.resume();
          return;
        }
        const target = path.join(dir, name);
        const hash = createHash('sha256');
        let bytes = 0;
        const count = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            hash.update(chunk);
            bytes += chunk.length;
            cb(null, chunk);
          },
        });
        stream.on('limit', () => {
          reject(new AppError('PAYLOAD_TOO_LARGE', `the ${name} upload is larger than ${opts.maxFileBytes} bytes`));
        });
        const write = pipeline(stream, count, fs.createWriteStream(target)).then(() => {
          files[name] = { path: target, bytes, sha256: hash.digest('hex'), filename: info.filename ?? name };
        });
        writes.push(write);
        write.catch(reject);
      });
      bb.on('error', () => reject(new AppError('VALIDATION_ERROR', 'malformed multipart body')));
      bb.on('close', () => {
        Promise.all(writes).then(() => resolve(), reject);
      });
      ctx.req.pipe(bb);
    });
  } catch (err) {
    ctx.req.unpipe();
    ctx.req.resume();
    await cleanup();
    throw err;
  }
  return { files, fields, cleanup };
}
