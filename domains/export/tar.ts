// A POSIX ustar archive laid out before a byte of it is written. Every entry's
// size is known up front (the export stages or hashes each file first), so the
// offset of every header and every data byte is a pure function of the entry
// list: any byte range of the archive — one S3 multipart part — can be produced
// on its own, again and again, and a part re-made after a crash is identical to
// the one that was lost. Streaming tar writers (tar-stream, node-tar) only write
// front to back, which is why this lays out the blocks itself; reading goes
// through tar-stream (domains/export/bundle-reader.ts).

const BLOCK = 512;
/** ustar's size field: 11 octal digits */
const MAX_ENTRY_BYTES = 8 ** 11 - 1;

export interface TarEntry {
  /** at most 255 bytes, split at a '/' into ustar's prefix (155) and name (100) */
  path: string;
  bytes: number;
  /** seconds since the epoch; one time for every entry keeps the archive reproducible */
  mtime: number;
}

interface PlacedEntry<E extends TarEntry> {
  entry: E;
  headerOffset: number;
  dataOffset: number;
}

export interface TarLayout<E extends TarEntry> {
  entries: PlacedEntry<E>[];
  totalBytes: number;
}

const padded = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

export function layOut<E extends TarEntry>(entries: readonly E[]): TarLayout<E> {
  let offset = 0;
  const placed = entries.map((entry) => {
    if (!Number.isSafeInteger(entry.bytes) || entry.bytes < 0 || entry.bytes > MAX_ENTRY_BYTES) {
      throw new RangeError(`tar entry ${entry.path}: ${entry.bytes} bytes is out of ustar's range`);
    }
    const p = { entry, headerOffset: offset, dataOffset: offset + BLOCK };
    offset += BLOCK + padded(entry.bytes);
    return p;
  });
  // Two zero blocks end the archive.
  return { entries: placed, totalBytes: offset + 2 * BLOCK };
}

function splitPath(path: string): { prefix: string; name: string } {
  const bytes = Buffer.byteLength(path);
  if (bytes <= 100) return { prefix: '', name: path };
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { prefix, name };
  }
  throw new RangeError(`tar entry path too long for ustar: ${path}`);
}

function octal(buf: Buffer, value: number, at: number, width: number): void {
  buf.write(value.toString(8).padStart(width - 1, '0') + '\0', at, width, 'ascii');
}

/** The 512-byte header of one regular file, owner root, mode 0644. */
function tarHeader(entry: TarEntry): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { prefix, name } = splitPath(entry.path);
  h.write(name, 0, 100, 'utf8');
  octal(h, 0o644, 100, 8);
  octal(h, 0, 108, 8);
  octal(h, 0, 116, 8);
  octal(h, entry.bytes, 124, 12);
  octal(h, entry.mtime, 136, 12);
  h.fill(' ', 148, 156); // the checksum counts its own field as spaces
  h.write('0', 156, 1, 'ascii');
  h.write('ustar\x0000', 257, 8, 'binary');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

/** A piece of the archive: literal bytes (headers, padding) or a range of one entry's data. */
type Segment<E extends TarEntry> =
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'data'; entry: E; start: number; end: number };

/** The pieces that make up archive bytes [from, to), in order. */
export function* segments<E extends TarEntry>(layout: TarLayout<E>, from: number, to: number): Generator<Segment<E>> {
  const end = Math.min(to, layout.totalBytes);
  const clip = (lo: number, hi: number): [number, number] | null => {
    const a = Math.max(lo, from);
    const b = Math.min(hi, end);
    return a < b ? [a, b] : null;
  };
  for (const p of layout.entries) {
    const dataEnd = p.dataOffset + p.entry.bytes;
    const blockEnd = p.dataOffset + padded(p.entry.bytes);
    if (blockEnd <= from) continue;
    if (p.headerOffset >= end) return;
    const h = clip(p.headerOffset, p.dataOffset);
    if (h) yield { kind: 'bytes', bytes: tarHeader(p.entry).subarray(h[0] - p.headerOffset, h[1] - p.headerOffset) };
    const d = clip(p.dataOffset, dataEnd);
    if (d) yield { kind: 'data', entry: p.entry, start: d[0] - p.dataOffset, end: d[1] - p.dataOffset };
    const pad = clip(dataEnd, blockEnd);
    if (pad) yield { kind: 'bytes', bytes: Buffer.alloc(pad[1] - pad[0]) };
  }
  const trailer = clip(layout.totalBytes - 2 * BLOCK, layout.totalBytes);
  if (trailer) yield { kind: 'bytes', bytes: Buffer.alloc(trailer[1] - trailer[0]) };
}
