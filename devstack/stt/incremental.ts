import { randomUUID } from 'node:crypto';
import { projectFile } from '../../lib/infra/project-files.js';
import { PythonWorker } from '../python-worker.js';

// Live partials without decoding the utterance again: pocketsphinx's own
// decoder takes the audio as it arrives and answers its hypothesis so far
// (devstack/python/pocketsphinx_worker.py, one process per node holding the
// model). Re-decoding a growing utterance costs more with every word, which a
// 3-second phrase already outgrows; fed frame by frame, a partial costs only
// the audio since the one before.

/** One utterance being decoded as it is spoken. */
export interface PartialStream {
  /** Feeds the audio since the last call and answers the hypothesis of the whole utterance so far. */
  hear(pcm: Buffer): Promise<string>;
  /** The utterance ended (or its call did): its decoder is freed. */
  close(): void;
}

export interface IncrementalDecoder {
  /** the only rate it decodes; other streams re-decode instead (live.ts) */
  readonly sampleRate: number;
  readonly ready: Promise<void>;
  open(): PartialStream;
}

export function pocketsphinxIncremental(): IncrementalDecoder {
  const worker = new PythonWorker(projectFile('devstack', 'python', 'pocketsphinx_worker.py'));
  return {
    sampleRate: 16_000,
    ready: worker.ready,
    open() {
      const id = randomUUID();
      return {
        async hear(pcm) {
          const answer = await worker.ask({ id, pcm: pcm.toString('base64') });
          if (answer.error !== undefined) throw new Error(`pocketsphinx failed: ${answer.error}`);
          return typeof answer.text === 'string' ? answer.text : '';
        },
        close() {
          void worker.ask({ id, end: true }).catch(() => undefined);
        },
      };
    },
  };
}
