import { once } from 'node:events';
import net from 'node:net';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

// clamd's INSTREAM command: `zINSTREAM\0`, then the bytes as chunks each
// prefixed by its length (4 bytes, big-endian), then a zero length; clamd
// answers one NUL-terminated line and closes. Written here rather than taken
// from npm: the client there (clamscan) writes to the socket without
// backpressure, so a large object read from S3 faster than clamd scans it
// would sit whole in memory.

type ScanVerdict = { status: 'clean' } | { status: 'infected'; signature: string };

/** clamd did not answer, or answered something other than a verdict: scanning again later may work. */
export class ClamdUnavailableError extends Error {
  override name = 'ClamdUnavailableError';
}

/** clamd refused the object as larger than its StreamMaxLength: asking again gives the same answer. */
export class ClamdStreamTooLongError extends Error {
  override name = 'ClamdStreamTooLongError';
}

/** Where clamd listens, from SCAIWAVE_CLAMAV_URL (tcp://host:port). */
function clamdAddress(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 3310) };
}

/** Each chunk prefixed by its length; the stream's end by a zero length. */
function instreamFraming(onProgress?: (bytes: number) => void): Transform {
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(chunk.length);
      this.push(length);
      sent += chunk.length;
      onProgress?.(sent);
      done(null, chunk);
    },
    flush(done) {
      done(null, Buffer.alloc(4));
    },
  });
}

/** The verdict in clamd's answer: `stream: OK`, `stream: <signature> FOUND`, or `<reason> ERROR`. */
function readVerdict(answer: string): ScanVerdict {
  const line = answer.replace(/\0+$/, '').trim();
  if (line === 'stream: OK') return { status: 'clean' };
  const found = /^stream: (.+) FOUND$/.exec(line);
  if (found) return { status: 'infected', signature: found[1]! };
  if (/size limit exceeded/i.test(line)) throw new ClamdStreamTooLongError(`clamd: ${line}`);
  throw new ClamdUnavailableError(`clamd answered: ${line || '(nothing)'}`);
}

interface ScanOptions {
  /** aborts the scan (the activity was cancelled or timed out) */
  signal?: AbortSignal;
  /** told the bytes sent so far, as they go */
  onProgress?: (bytes: number) => void;
}

/**
 * Streams `source` to clamd and returns its verdict. The object never sits
 * whole in memory: the socket's backpressure paces the reading. `source` must
 * not be flowing yet (no 'data' listener): bytes read before the connection
 * opens would not reach clamd.
 */
export async function scanStream(url: string, source: Readable, opts: ScanOptions = {}): Promise<ScanVerdict> {
  const { signal } = opts;
  const socket = net.connect(clamdAddress(url));
  const answer: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => answer.push(chunk));
  // Errors surface through `once(connect)` and the pipeline; close comes after either.
  const closed = once(socket, 'close').catch(() => undefined);
  try {
    await once(socket, 'connect', { signal });
    socket.write('zINSTREAM\0');
    // clamd may answer (size limit) and close before the stream ends: then
    // the write side fails, and the answer read so far is what counts.
    await pipeline(source, instreamFraming(opts.onProgress), socket, { signal }).catch((err: unknown) => {
      if (answer.length === 0) throw err;
    });
    await closed;
  } catch (err) {
    socket.destroy();
    if (signal?.aborted) throw err;
    if (answer.length === 0) throw new ClamdUnavailableError(`clamd at ${url} did not answer: ${(err as Error).message}`);
  }
  return readVerdict(Buffer.concat(answer).toString('utf8'));
}

/** clamd's PING: resolves when it answers PONG; what /metrics reports as clamd being up. */
export async function pingClamd(url: string, timeoutMs = 2000): Promise<void> {
  const socket = net.connect(clamdAddress(url));
  socket.setTimeout(timeoutMs, () => socket.destroy(new ClamdUnavailableError(`clamd: no answer within ${timeoutMs} ms`)));
  try {
    await once(socket, 'connect');
    socket.end('zPING\0');
    let answer = '';
    for await (const chunk of socket) answer += (chunk as Buffer).toString();
    if (answer.replace(/\0+$/, '').trim() !== 'PONG') throw new ClamdUnavailableError(`clamd answered: ${answer || '(nothing)'}`);
  } finally {
    socket.destroy();
  }
}
