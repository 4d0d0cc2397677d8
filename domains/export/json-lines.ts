import { StringDecoder } from 'node:string_decoder';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

// The bundle's JSON Lines files (messages/*.jsonl.gz, media.jsonl) read a line
// at a time, so a file of any length is read in bounded memory. The verifier
// and the restore split lines the same way, so a line number in a problem is
// the line the restore would have read.

/** Far above any record (a message's text is at most 64 KiB), far below a memory problem. */
const MAX_LINE_CHARS = 4 * 1024 * 1024;

/** A line past MAX_LINE_CHARS: no record is that long, so the file is not one of a bundle's. */
export class LineTooLongError extends Error {
  constructor() {
    super(`a line longer than ${MAX_LINE_CHARS} characters`);
    this.name = 'LineTooLongError';
  }
}

/** The lines of UTF-8 text, without their '\n'; a final line without one counts too. An error of the source is thrown here. */
export async function* textLines(source: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of source) {
    pending += decoder.write(chunk);
    let start = 0;
    for (let at = pending.indexOf('\n'); at !== -1; at = pending.indexOf('\n', start)) {
      yield pending.slice(start, at);
      start = at + 1;
    }
    pending = pending.slice(start);
    if (pending.length > MAX_LINE_CHARS) throw new LineTooLongError();
  }
  pending += decoder.end();
  if (pending.length > 0) yield pending;
}

/** The source, gunzipped; an error of either surfaces when the result is read. */
export const gunzipped = (source: Readable): Readable => pipeline(source, createGunzip(), () => undefined);

/** messages/NNNNNN.jsonl.gz */
export const isMessageChunk = (path: string): boolean => /^messages\/\d{6}\.jsonl\.gz$/.test(path);
