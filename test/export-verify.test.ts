import { execFile } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { createGunzip, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { BundleContentError, readBundle } from '../domains/export/bundle-reader.js';
import { BUNDLE_PATHS, messageChunkPath, type MessageRecord } from '../domains/export/format.js';
import { publicKeyDer } from '../lib/ed25519-keys.js';
import { verifyBundle } from '../domains/export/verify.js';
import { buildBundle, changeByte, mediaFixture, messageFixture, repack, saveBundle, type BuiltBundle, type BundleSpec, type MediaItem } from './support/bundle.js';
import { runScaiwave, type CliRun } from './support/cli.js';

// `scaiwave export verify` and the reader under it (domains/export/bundle-reader.ts),
// on bundles built in memory by test/support/bundle.ts: good ones hold, and each
// kind of damage fails naming the file. No services: the command must work offline.

const run = promisify(execFile);

const MESSAGES: MessageRecord[] = [
  messageFixture(1),
  messageFixture(2, { threadParentId: 'msg-000001', reactions: [{ userId: 'user-ana', emoji: '👍', at: '2026-01-10T08:05:00.000Z' }] }),
  messageFixture(3, {
    body: 'the fixed text',
    editedAt: '2026-01-10T09:00:00.000Z',
    revisions: [{ body: 'the fixd txt', editedAt: '2026-01-10T09:00:00.000Z', editorId: 'user-ana' }],
  }),
  messageFixture(4, { body: null, deleted: { at: '2026-01-11T00:00:00.000Z', byId: 'user-ana' } }),
  messageFixture(5, { mentions: ['user-bo'], body: 'ünïcödé and "quotes"\n' }),
];
const RECORDING = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));
const INFECTED: MediaItem = {
  record: { ...mediaFixture('media-3', 'invoice.exe', Buffer.from('X5O!P%@AP')).record, scanStatus: 'infected', path: null },
  content: null,
};
const SPEC: BundleSpec = {
  messages: MESSAGES,
  messagesPerChunk: 2,
  media: [mediaFixture('media-1', 'notes.txt', Buffer.from('meeting notes\n')), mediaFixture('media-2', 'recording.wav', RECORDING), INFECTED],
  warnings: [{ code: 'media_infected', mediaId: 'media-3', detail: 'left out: the scan found Eicar-Test-Signature' }],
};
const KEY = generateKeyPairSync('ed25519').privateKey;
const signed = buildBundle({ ...SPEC, sign: KEY });
const unsigned = buildBundle(SPEC);

/** The bytes in pieces of an odd size, as a file or an S3 body arrives: chunks straddle every boundary. */
const streamOf = (bytes: Buffer, piece = 1000): Readable =>
  Readable.from((function* () {
    for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece);
  })());

const verify = (bytes: Buffer, publicKey?: string) => verifyBundle(streamOf(bytes), { publicKey });
const fingerprint = (b64: string): string => createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex').slice(0, 16);
const problemPaths = async (bytes: Buffer, publicKey?: string): Promise<(string | null)[]> =>
  (await verify(bytes, publicKey)).problems.map((p) => p.path);

/** Byte offsets inside one entry, for changes that keep it well-formed JSON. */
const at = (b: BuiltBundle, path: string, marker: string): number => b.contents.get(path)!.indexOf(marker) + marker.length;
const SIG_AT = at(signed, BUNDLE_PATHS.signature, '"signature": "') + 10;
const otherBase64 = (c: number): number => (c === 'A'.charCodeAt(0) ? 'B' : 'A').charCodeAt(0);

/** One changed byte in each kind of file: [file, the bundle with it changed]. */
const TAMPERED: [string, Buffer][] = [
  [messageChunkPath(2), changeByte(signed, messageChunkPath(2), 20)],
  ['media/media-2/recording.wav', changeByte(signed, 'media/media-2/recording.wav', 150_000)],
  [BUNDLE_PATHS.room, changeByte(signed, BUNDLE_PATHS.room, at(signed, BUNDLE_PATHS.room, '"topic": "'))],
  [BUNDLE_PATHS.warnings, changeByte(signed, BUNDLE_PATHS.warnings, at(signed, BUNDLE_PATHS.warnings, '"detail": "'))],
  [BUNDLE_PATHS.media, changeByte(signed, BUNDLE_PATHS.media, at(signed, BUNDLE_PATHS.media, '"fileName":"'))],
  [BUNDLE_PATHS.manifest, changeByte(signed, BUNDLE_PATHS.manifest, at(signed, BUNDLE_PATHS.manifest, '"exportId": "'))],
  [BUNDLE_PATHS.signature, changeByte(signed, BUNDLE_PATHS.signature, SIG_AT, otherBase64(signed.contents.get(BUNDLE_PATHS.signature)![SIG_AT]!))],
];

describe('verifyBundle', () => {
  it('a good bundle holds, signed or not, and says what it holds', async () => {
    const [s, u, pinned] = await Promise.all([verify(signed.bytes), verify(unsigned.bytes), verify(signed.bytes, signed.publicKey!)]);
    for (const v of [s, u, pinned]) {
      expect(v.problems).toEqual([]);
      expect(v.ok).toBe(true);
      expect(v.manifest?.counts).toMatchObject({ messages: 5, revisions: 1, tombstones: 1, reactions: 1, media: 3, mediaIncluded: 2, warnings: 1 });
    }
    expect(s.files.map((f) => f.path)).toEqual([
      'room.json',
      'messages/000001.jsonl.gz',
      'messages/000002.jsonl.gz',
      'messages/000003.jsonl.gz',
      'media.jsonl',
      'media/media-1/notes.txt',
      'media/media-2/recording.wav',
      'warnings.json',
    ]);
    expect(s.files.every((f) => f.ok)).toBe(true);
    expect(s.bytes).toBe(signed.manifest.files.reduce((sum, f) => sum + f.bytes, 0));
    expect(s.bytes).toBeGreaterThan(RECORDING.length);
    expect(s.signer?.fingerprint).toBe(fingerprint(signed.publicKey!));
    expect(u.signer).toBeNull();
  });

  it.each(TAMPERED)('one changed byte in %s fails, naming that file', async (path, bytes) => {
    const v = await verify(bytes);
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => p.path)).toContain(path);
    // Only the changed file is named; a changed manifest also breaks the signature over it.
    const allowed = path === BUNDLE_PATHS.manifest ? [path, BUNDLE_PATHS.signature] : [path];
    expect(v.problems.filter((p) => !allowed.includes(p.path!))).toEqual([]);
    expect(v.files.filter((f) => !f.ok).map((f) => f.path)).toEqual(allowed.filter((p) => signed.manifest.files.some((f) => f.path === p)));
  });

  it('a bundle cut short fails, naming the files it lost', async () => {
    const cut = signed.bytes.subarray(0, signed.dataOffset('media/media-2/recording.wav') + 100_000);
    const v = await verify(cut);
    expect(v.problems.map((p) => [p.code, p.path])).toEqual([
      ['truncated', null],
      ['missing', 'media/media-2/recording.wav'],
      ['missing', 'warnings.json'],
    ]);
    expect((await verify(signed.bytes.subarray(0, 700))).problems.map((p) => p.code)).toEqual(['truncated']);
    // Cut at an entry boundary the tar itself is whole: the manifest still misses what follows.
    expect(await problemPaths(signed.bytes.subarray(0, signed.dataOffset('warnings.json') - 512))).toEqual(['warnings.json']);
  });

  it('an entry the manifest does not list fails, naming it', async () => {
    const extra = buildBundle({ ...SPEC, sign: KEY, unlisted: [{ path: 'media/media-9/extra.pdf', content: Buffer.from('%PDF') }] });
    const v = await verify(extra.bytes);
    expect(v.problems.map((p) => [p.code, p.path])).toEqual([['unlisted', 'media/media-9/extra.pdf']]);
  });

  it('files out of order, repeated or left out fail, naming them', async () => {
    const paths = signed.manifest.files.map((f) => f.path);
    const head = [BUNDLE_PATHS.manifest, BUNDLE_PATHS.signature];
    const swapped = await verify(repack(signed, [...head, paths[1]!, paths[0]!, ...paths.slice(2)]));
    expect(swapped.problems.map((p) => [p.code, p.path])).toEqual([['out_of_order', paths[0]]]);
    const twice = await verify(repack(signed, [...head, ...paths, paths[0]!]));
    expect(twice.problems.map((p) => [p.code, p.path])).toEqual([['duplicate', paths[0]]]);
    const without = await verify(repack(signed, [...head, ...paths.filter((p) => p !== 'media.jsonl')]));
    expect(without.problems.map((p) => [p.code, p.path])).toEqual([['missing', 'media.jsonl']]);
    const sigLast = await verify(repack(signed, [BUNDLE_PATHS.manifest, ...paths, BUNDLE_PATHS.signature]));
    expect(sigLast.problems.map((p) => [p.code, p.path])).toEqual([['unlisted', BUNDLE_PATHS.signature]]);
    const noManifest = await verify(repack(signed, paths));
    expect(noManifest.problems.map((p) => [p.code, p.path])).toEqual([['manifest_missing', BUNDLE_PATHS.manifest]]);
  });

  it('a signature by another key fails when the expected key is pinned, and so does no signature', async () => {
    const other = buildBundle({ ...SPEC, sign: true });
    expect((await verify(other.bytes)).ok).toBe(true);
    const pinned = await verify(other.bytes, signed.publicKey!);
    expect(pinned.problems.map((p) => [p.code, p.path])).toEqual([['signature_key', BUNDLE_PATHS.signature]]);
    expect(pinned.problems[0]!.message).toContain(fingerprint(other.publicKey!));
    const pem = createPublicKey(KEY).export({ format: 'pem', type: 'spki' }).toString();
    expect((await verify(signed.bytes, pem)).ok).toBe(true);
    const none = await verify(unsigned.bytes, pem);
    expect(none.problems.map((p) => [p.code, p.path])).toEqual([['signature_missing', BUNDLE_PATHS.signature]]);
  });

  it('refuses links, directories and pax headers, and what is not a tar', async () => {
    const manifest = signed.contents.get(BUNDLE_PATHS.manifest)!;
    const room = signed.contents.get(BUNDLE_PATHS.room)!;
    const pack = async (entries: { header: Parameters<tar.Pack['entry']>[0]; body?: Buffer }[]): Promise<Buffer> => {
      const p = tar.pack();
      const chunks: Buffer[] = [];
      const done = (async () => {
        for await (const chunk of p) chunks.push(chunk as Buffer);
      })();
      for (const e of entries) p.entry(e.header, e.body ?? Buffer.alloc(0));
      p.finalize();
      await done;
      return Buffer.concat(chunks);
    };
    const rest = signed.manifest.files.slice(1).map((f) => ({ header: { name: f.path, size: f.bytes }, body: signed.contents.get(f.path)! }));
    const start = [
      { header: { name: BUNDLE_PATHS.manifest, size: manifest.length }, body: manifest },
      { header: { name: BUNDLE_PATHS.signature, size: signed.contents.get(BUNDLE_PATHS.signature)!.length }, body: signed.contents.get(BUNDLE_PATHS.signature)! },
    ];
    const cases = [
      { header: { name: BUNDLE_PATHS.room, type: 'symlink' as const, linkname: '/etc/passwd' } },
      { header: { name: BUNDLE_PATHS.room, type: 'directory' as const } },
      { header: { name: BUNDLE_PATHS.room, size: room.length, pax: { comment: 'an extended header' } }, body: room },
    ];
    for (const odd of cases) {
      const v = await verify(await pack([...start, odd, ...rest]));
      expect(v.problems.map((p) => [p.code, p.path])).toEqual([
        ['not_regular', BUNDLE_PATHS.room],
        ['missing', BUNDLE_PATHS.room],
      ]);
    }
    // The same entries written by tar-stream as plain ustar hold: what is refused is the odd entry, not the writer.
    expect((await verify(await pack([...start, { header: { name: BUNDLE_PATHS.room, size: room.length }, body: room }, ...rest]))).ok).toBe(true);

    const gzipped = (await verify(gzipSync(signed.bytes))).problems;
    expect(gzipped.map((p) => p.code)).toEqual(['not_a_tar']);
    // In our words, never the tar library's ("Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?").
    expect(gzipped[0]!.message).toBe('not a tar archive: the block at the start is not a tar header (a room bundle is the .tar itself, not compressed)');
    expect((await verify(Buffer.alloc(0))).problems.map((p) => p.code)).toEqual(['manifest_missing']);
  });
});

describe('readBundle, as the import reads', () => {
  const gunzipLines = async (content: Readable): Promise<unknown[]> =>
    (await text(content.pipe(createGunzip())))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));

  it("hands each file's bytes to the consumer as they stream; files it skips are still checked", async () => {
    const messages: unknown[] = [];
    const seen: string[] = [];
    let room: unknown;
    let manifestFirst = false;
    const report = await readBundle(streamOf(signed.bytes), {
      trusted: [publicKeyDer(signed.publicKey!)],
      onManifest: (m, signer) => {
        manifestFirst = seen.length === 0 && m.exportId === 'export-1' && signer?.publicKey === signed.publicKey;
      },
      onFile: async (file, content) => {
        seen.push(file.path);
        if (file.path === BUNDLE_PATHS.room) room = JSON.parse(await text(content));
        if (file.path.startsWith('messages/')) messages.push(...(await gunzipLines(content)));
        // media and the rest: skipped, left unread
      },
    });
    expect(report.problems).toEqual([]);
    expect(manifestFirst).toBe(true);
    expect(seen).toEqual(signed.manifest.files.map((f) => f.path));
    expect(messages).toEqual(MESSAGES);
    expect(room).toEqual(JSON.parse(signed.contents.get(BUNDLE_PATHS.room)!.toString()));
    // A skipped file that was changed is still caught.
    const bad = await readBundle(streamOf(TAMPERED[1]![1]), { onFile: async () => {} });
    expect(bad.problems.map((p) => [p.code, p.path])).toEqual([['hash_mismatch', 'media/media-2/recording.wav']]);
  });

  it("streams: the consumer has a file's first bytes before the rest of the archive is read", async () => {
    const input = new PassThrough();
    const recording = signed.dataOffset('media/media-2/recording.wav');
    let firstBytes!: () => void;
    const gotFirstBytes = new Promise<void>((resolve) => (firstBytes = resolve));
    const reading = readBundle(input, {
      onFile: async (file, content) => {
        if (file.path !== 'media/media-2/recording.wav') return;
        for await (const _chunk of content) firstBytes();
      },
    });
    input.write(signed.bytes.subarray(0, recording + 4096));
    await gotFirstBytes; // would wait forever if the reader held the archive before handing it on
    input.end(signed.bytes.subarray(recording + 4096));
    expect((await reading).problems).toEqual([]);
  });

  it('changed content fails at its end with the file named, and no file after it is handed on', async () => {
    const chunk = messageChunkPath(2);
    const handed: string[] = [];
    const failures: unknown[] = [];
    const report = await readBundle(streamOf(changeByte(signed, chunk, 20)), {
      onFile: async (file, content) => {
        handed.push(file.path);
        await text(content).catch((err: unknown) => failures.push(err));
      },
    });
    expect(handed).toEqual(['room.json', 'messages/000001.jsonl.gz', chunk]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(BundleContentError);
    expect((failures[0] as BundleContentError).problem.path).toBe(chunk);
    expect(report.problems.map((p) => [p.code, p.path])).toEqual([['hash_mismatch', chunk]]);
  });

  it("a consumer's own failure is the caller's error, not a bundle problem; a bad manifest reaches no consumer", async () => {
    const down = new Error('database unavailable');
    await expect(
      readBundle(streamOf(signed.bytes), {
        onFile: async (file) => {
          if (file.path === 'media.jsonl') throw down;
        },
      }),
    ).rejects.toBe(down);

    let called = false;
    const report = await readBundle(streamOf(TAMPERED.find(([p]) => p === BUNDLE_PATHS.manifest)![1]), {
      onManifest: () => void (called = true),
      onFile: async () => void (called = true),
    });
    expect(called).toBe(false);
    expect(report.problems.map((p) => p.code)).toEqual(['manifest_hash', 'signature_invalid']);
  });
});

describe('scaiwave export verify', () => {
  // SCAIWAVE_PORT=abc makes any command that loads the configuration exit 78: this one must not need it.
  const cli = (args: string[]): Promise<CliRun> => runScaiwave(['export', 'verify', ...args], { SCAIWAVE_PORT: 'abc' }, 60_000);

  it('a good bundle exits 0 listing every file, the messages and the signer', async () => {
    const [file, plainFile] = await Promise.all([saveBundle(signed.bytes), saveBundle(unsigned.bytes)]);
    const pemFile = join(dirname(file), 'exporter.pub.pem');
    await writeFile(pemFile, createPublicKey(KEY).export({ format: 'pem', type: 'spki' }));
    const [good, plain, pinnedPem, pinnedB64, json] = await Promise.all([
      cli([file]),
      cli([plainFile]),
      cli([file, '--public-key', pemFile]),
      cli([file, '--public-key', signed.publicKey!]),
      cli([file, '--json']),
    ]);
    for (const r of [good, plain, pinnedPem, pinnedB64, json]) expect(r.code, r.stderr).toBe(0);
    for (const f of signed.manifest.files) expect(good.stdout).toMatch(new RegExp(`^ok\\s+${f.path.replaceAll('.', '\\.')}\\s`, 'm'));
    expect(good.stdout).toContain('The bundle holds');
    expect(good.stdout).toContain('5 messages');
    expect(good.stdout).toContain(`signed by key ${fingerprint(signed.publicKey!)}`);
    expect(plain.stdout).toContain('not signed');
    expect(pinnedPem.stdout).toContain(`signed by key ${fingerprint(signed.publicKey!)}`);
    const doc = JSON.parse(json.stdout) as { ok: boolean; messages: number; files: unknown[]; signer: { fingerprint: string } };
    expect(doc).toMatchObject({ ok: true, messages: 5, signer: { fingerprint: fingerprint(signed.publicKey!) } });
    expect(doc.files).toHaveLength(signed.manifest.files.length);
  });

  it('exits 6 naming the file for one changed byte in each kind of file', async () => {
    const runs = await Promise.all(TAMPERED.map(async ([path, bytes]) => [path, await cli([await saveBundle(bytes)])] as const));
    for (const [path, r] of runs) {
      expect(r.code, `${path}: ${r.stdout}${r.stderr}`).toBe(6);
      expect(r.stderr).toContain(path);
      expect(r.stdout).toContain('The bundle does NOT hold');
      expect(r.stdout).toMatch(new RegExp(`^  ${path.replaceAll('.', '\\.')}: `, 'm'));
    }
  });

  it('exits 6 for a truncated bundle, a file appended with GNU tar, or a signature by another key than the pinned one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scaiwave-verify-'));
    const appended = join(dir, 'bundle.tar');
    await writeFile(appended, signed.bytes);
    await writeFile(join(dir, 'smuggled.txt'), 'not in the manifest\n');
    await run('tar', ['rf', 'bundle.tar', 'smuggled.txt'], { cwd: dir });
    const other = buildBundle({ ...SPEC, sign: true });
    const [truncated, extra, wrongKey] = await Promise.all([
      cli([await saveBundle(signed.bytes.subarray(0, signed.bytes.length - 3000))]),
      cli([appended]),
      cli([await saveBundle(other.bytes), '--public-key', signed.publicKey!]),
    ]);
    expect(truncated.code).toBe(6);
    expect(truncated.stdout).toContain('truncated');
    expect(truncated.stderr).toContain('warnings.json');
    expect(extra.code).toBe(6);
    expect(extra.stderr).toContain('smuggled.txt');
    expect(wrongKey.code).toBe(6);
    expect(wrongKey.stderr).toContain('manifest.sig');
    expect(wrongKey.stdout).toContain(`not the expected key ${fingerprint(signed.publicKey!)}`);
  });

  it('exits 3 for a missing file and 2 for a key that is not one', async () => {
    const file = await saveBundle(signed.bytes);
    const [missing, badKey] = await Promise.all([cli([join(dirname(file), 'nope.tar')]), cli([file, '--public-key', 'not-a-key'])]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('nope.tar');
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('--public-key');
  });
});

describe('the bundle with standard tools (docs/export-format.md)', () => {
  it('GNU tar lists a bundle in the format order and extracts it; sha256sum and jq check it as the doc says', async () => {
    const file = await saveBundle(signed.bytes);
    const dir = dirname(file);
    const { stdout: listing } = await run('tar', ['tf', file]);
    expect(listing.trim().split('\n')).toEqual([BUNDLE_PATHS.manifest, BUNDLE_PATHS.signature, ...signed.manifest.files.map((f) => f.path)]);
    await run('tar', ['xf', file, '-C', dir]);
    const sums = await run('sh', ['-c', `jq -r '.files[] | "\\(.sha256)  \\(.path)"' manifest.json | sha256sum -c -`], { cwd: dir });
    expect(sums.stdout.trim().split('\n')).toHaveLength(signed.manifest.files.length);
    const own = await run('sh', ['-c', "jq -j -S -c 'del(.manifestSha256)' manifest.json | sha256sum"], { cwd: dir });
    expect(own.stdout.slice(0, 64)).toBe(signed.manifest.manifestSha256);
  });

  it("the doc's Python script and openssl check a good bundle and its signature, and name a changed file", async () => {
    const doc = await readFile(new URL('../docs/export-format.md', import.meta.url), 'utf8');
    const script = /```python\n(# verify_bundle\.py[\s\S]*?)```/.exec(doc)?.[1];
    expect(script).toBeDefined();
    const dir = await mkdtemp(join(tmpdir(), 'scaiwave-recipe-'));
    await writeFile(join(dir, 'verify_bundle.py'), script!);
    await writeFile(join(dir, 'good.tar'), signed.bytes);
    await writeFile(join(dir, 'bad.tar'), TAMPERED[1]![1]);

    const good = await run('python3', ['verify_bundle.py', 'good.tar'], { cwd: dir });
    expect(good.stdout).toContain('ok: 8 files, 5 messages');
    const sig = await run(
      'openssl',
      ['pkeyutl', '-verify', '-pubin', '-keyform', 'DER', '-inkey', 'signer.der', '-rawin', '-in', 'manifest.canonical.json', '-sigfile', 'manifest.sig.bin'],
      { cwd: dir },
    );
    expect(sig.stdout).toContain('Signature Verified Successfully');
    const fp = await run('sh', ['-c', 'openssl pkey -pubin -inform DER -in signer.der -outform DER | sha256sum | cut -c1-16'], { cwd: dir });
    expect(fp.stdout.trim()).toBe(fingerprint(signed.publicKey!));

    const bad = await run('python3', ['verify_bundle.py', 'bad.tar'], { cwd: dir }).then(
      () => null,
      (err: { code: number; stdout: string }) => err,
    );
    expect(bad?.code).toBe(1);
    expect(bad?.stdout).toContain('media/media-2/recording.wav: size or sha256 differs');
  });
});
