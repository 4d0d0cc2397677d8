import os from 'node:os';
import { loadEmbedder } from '../devstack/scaigrid/embedder.js';
import { startScaiGridProcess } from '../devstack/scaigrid/process.js';
import { createEmbeddingClient } from '../lib/scaigrid/embeddings.js';
import { wholeNumberOptions } from './lib/options.js';
import { fmt, table } from './lib/stats.js';

// Embedding throughput through ScaiGrid, by batch size: the client
// (lib/scaigrid/embeddings.ts) against the reference ScaiGrid as a process of
// its own, beside the same model called in this process with the same batches
// (no HTTP, no JSON, no client), measured in the same run, rounds interleaved so
// both see the same machine. The difference is what the protocol costs; the
// model's own speed is the reference server's, not production ScaiGrid's.
//
//   node --import tsx bench/embeddings.ts [--texts 512] [--rounds 3]   (--help lists all)
//
// Needs the model files of scripts/ensure-tools.sh; nothing else.

const opt = wholeNumberOptions('bench/embeddings.ts', {
  texts: { default: 512, help: 'texts embedded per batch size and round' },
  rounds: { default: 3, help: 'rounds per batch size; the best one counts' },
});
const BATCH_SIZES = [1, 8, 32, 64, 128, 256];
const say = (line: string): void => void process.stdout.write(`${line}\n`);

// Chat-sized messages in a few languages, all different.
const SUBJECTS = ['the deploy', 'la réunion', 'die Rechnung', 'el informe', 'the release notes', 'het contract', 'the coffee machine'];
const STATES = ['is late again', 'est reportée à jeudi', 'wurde bezahlt', 'está listo para revisar', 'need another review', 'is getekend', 'is broken on floor three'];
const texts = Array.from({ length: opt.texts }, (_, i) => `${SUBJECTS[i % SUBJECTS.length]} ${STATES[(i * 3) % STATES.length]} (#${i})`);

async function rate(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return opt.texts / ((performance.now() - t0) / 1000);
}

const key = 'sgk_bench';
const grid = await startScaiGridProcess({ apiKeys: [key], maxBatch: Math.max(...BATCH_SIZES), logDir: os.tmpdir() });
try {
  const model = await loadEmbedder();
  say(`texts: ${opt.texts} per batch size and round, best of ${opt.rounds}; ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(2)}`);
  const rows = [['batch', 'via ScaiGrid (texts/s)', 'model in-process (texts/s)', 'protocol share of time']];
  for (const batchSize of BATCH_SIZES) {
    const client = createEmbeddingClient({ url: grid.url, model: 'scailar-4', platformApiKey: key, batchSize, timeoutMs: 120_000, maxRetries: 0 });
    const inProcess = async (): Promise<void> => {
      for (let i = 0; i < texts.length; i += batchSize) await model.embed(texts.slice(i, i + batchSize));
    };
    let viaGrid = 0;
    let direct = 0;
    for (let r = 0; r < opt.rounds; r++) {
      viaGrid = Math.max(viaGrid, await rate(() => client.embed(texts)));
      direct = Math.max(direct, await rate(inProcess));
    }
    rows.push([String(batchSize), fmt(viaGrid, 0), fmt(direct, 0), `${fmt(100 * (1 - viaGrid / direct), 0)} %`]);
  }
  say(table(rows));
} finally {
  await grid.process.stop();
}
