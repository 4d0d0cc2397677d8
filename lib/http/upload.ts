import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import type { Context } from 'koa';
import busboy from 'busboy';
import { AppError } from '../errors.js';
import { fileNameProblem } from './text.js';

export interface UploadedFile {
  path: string;
  bytes: number;
  sha256: string;
  filename: string;
}

export interface Upload {
  files: Record<string, UploadedFile>;
  /** A field whose name ends in `[]` is a list (sent once per value, as OpenAI's and PHP's clients send arrays); any other is one value. */
  fields: Record<string, string | string[]>;
  /** Removes the temporary files; call in a finally. */
  cleanup(): Promise<void>;
}

/** Text fields a form may carry; more is a client bug or an attempt to make us parse without end. */
const MAX_FORM_FIELDS = 20;
const MAX_FIELD_BYTES = 64 * 1024;

/**
 * Streams a multipart body to temporary files while hashing and counting, so
 * an upload is never held whole in memory and an oversized one is cut off at
 * the cap (413) without reading the rest. Nothing is dropped quietly: a part
 * over a limit, a file under an unexpected name or a field given twice is a
 * 400 naming it, since answering a request other than the one sent is worse.
 */
export async function receiveMultipart(ctx: Context, opts: { maxFileBytes: number; fileFields: string[] }): Promise<Upload> {
  if (!ctx.is('multipart/form-data')) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the request as multipart/form-data');
  }
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'scaiwave-upload-'));
  const files: Record<string, UploadedFile> = {};
  // No prototype: a field named __proto__ or constructor is a field like any other.
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  const cleanup = (): Promise<void> => fs.promises.rm(dir, { recursive: true, force: true });
  const writes: Promise<void>[] = [];
  const open: Readable[] = [];
  const received = new Set<string>();
  const refused = (message: string): AppError => new AppError('VALIDATION_ERROR', message);

  try {
    await new Promise<void>((resolve, reject) => {
      let bb: busboy.Busboy;
      // Stops the files still being written, so nothing lands in the directory once it is removed.
      const fail = (err: unknown): void => {
        for (const stream of open) stream.destroy();
        reject(err);
      };
      try {
        bb = busboy({
          headers: ctx.req.headers,
          // File names as browsers and fetch send them: raw UTF-8 in filename="…" (busboy reads latin1 otherwise, "β" → "Î²").
          defParamCharset: 'utf8',
          // One file more than accepted reaches the handler below, which says what is wrong with it.
          limits: { fileSize: opts.maxFileBytes, files: opts.fileFields.length + 1, fields: MAX_FORM_FIELDS, fieldSize: MAX_FIELD_BYTES },
        });
      } catch {
        reject(refused('malformed multipart body'));
        return;
      }
      bb.on('field', (name, value, info) => {
        if (info.nameTruncated || info.valueTruncated) return fail(refused(`${name}: the field is longer than ${MAX_FIELD_BYTES} bytes`));
        if (opts.fileFields.includes(name)) return fail(refused(`${name}: must be a file, not a text field`));
        if (name.endsWith('[]')) {
          fields[name] = [...((fields[name] as string[] | undefined) ?? []), value];
          return;
        }
        if (Object.hasOwn(fields, name)) return fail(refused(`${name}: the field is given more than once`));
        fields[name] = value;
      });
      bb.on('file', (name, stream, info) => {
        if (!opts.fileFields.includes(name) || received.has(name)) {
          stream.resume();
          const accepted = opts.fileFields.join(', ');
          return fail(refused(received.has(name) ? `${name}: only one file may be sent` : `${name}: unexpected file (accepted: ${accepted})`));
        }
        const badName = fileNameProblem(info.filename ?? name);
        if (badName) {
          stream.resume();
          return fail(refused(`${name}: ${badName}`));
        }
        received.add(name);
        open.push(stream);
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
          fail(new AppError('PAYLOAD_TOO_LARGE', `the ${name} upload is larger than ${opts.maxFileBytes} bytes`));
        });
        const write = pipeline(stream, count, fs.createWriteStream(target)).then(() => {
          files[name] = { path: target, bytes, sha256: hash.digest('hex'), filename: info.filename ?? name };
        });
        writes.push(write);
        write.catch(fail);
      });
      bb.on('fieldsLimit', () => fail(refused(`the form has more than ${MAX_FORM_FIELDS} fields`)));
      bb.on('filesLimit', () => fail(refused(`the form has more files than ${opts.fileFields.join(', ')}`)));
      bb.on('partsLimit', () => fail(refused('the form has too many parts')));
      bb.on('error', () => fail(refused('malformed multipart body')));
      bb.on('close', () => {
        Promise.all(writes).then(() => resolve(), fail);
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
