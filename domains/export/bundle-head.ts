import { PassThrough } from 'node:stream';
import { readBundle, type BundleReport } from './bundle-reader.js';

// A bundle judged by its head while it streams to storage. The API and the CLI
// hand the upload this stream instead of the request body: every chunk goes
// on to S3 and, until the head has been read, also to a reader of manifest.json
// and manifest.sig (the archive's first entries). The stream fails as soon as
// `judge` refuses the head, and at the latest before its last chunk is passed
// on, so the upload never completes for a refused bundle: a body within one
// part is never stored at all, a larger one's parts are aborted
// (lib/infra/s3-upload.ts). Memory holds what the reader has not yet taken,
// which it takes as fast as it arrives.

export class BundleHeadRefused<R> extends Error {
  constructor(readonly refusal: R) {
    super('the bundle was refused by its head');
    this.name = 'BundleHeadRefused';
  }
}

export async function* judgedAsItStreams<R>(
  source: AsyncIterable<Buffer>,
  trusted: readonly Buffer[] | undefined,
  judge: (head: BundleReport) => R | null,
): AsyncGenerator<Buffer> {
  const head = new PassThrough();
  let verdict: { refusal: R | null } | null = null;
  const reading = readBundle(head, { headOnly: true, trusted }).then((report) => {
    verdict = { refusal: judge(report) };
  });
  const refuseIfJudged = () => {
    const v = verdict as { refusal: R | null } | null;
    if (v?.refusal) throw new BundleHeadRefused(v.refusal);
  };
  try {
    for await (const chunk of source) {
      // The reader destroys its input once it has judged: what follows the head is not its business.
      if (verdict === null && !head.destroyed) head.write(chunk);
      refuseIfJudged();
      yield chunk;
    }
    head.end();
    await reading;
    refuseIfJudged();
  } finally {
    head.destroy();
    // A reading still under way when the upload gave up ends on the destroyed input; nothing awaits it.
    reading.catch(() => undefined);
  }
}
