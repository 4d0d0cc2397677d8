import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { waitUntil } from '../devstack/ports.js';
import { Environment } from './lib/env.js';
import { openLoop } from './lib/load.js';
import { benchOptions } from './lib/options.js';
import { loadAverage, runBench } from './lib/run-bench.js';
import { fmt, ms, percentile, table } from './lib/stats.js';
import { toneWav } from './lib/wav.js';

// Webhook delivery latency from job completion: async transcription jobs
// (the STT node's instant engine, so the figure is the pipeline's) submitted
// at --rate for --seconds, each job's `scaiecho.job.completed` event delivered
// to a receiver in this process through the whole path — JetStream, the
// workers' webhook feed, a webhook-delivery workflow per event, the signed
// POST. Latency per delivery: its arrival here minus the job's completion
// time (the body's `timestamp`, the job row's completed_at). Every delivery
// is verified with the `standardwebhooks` package as it arrives.
//
//   npm run bench:webhooks -- [--rate 50] [--seconds 20]   (--help lists all)

const opt = benchOptions('bench/webhooks.ts', {
  rate: { default: 50, help: 'jobs submitted per second' },
  seconds: { default: 20, help: 'length of the submission phase' },
  'audio-ms': { default: 1000, help: 'length of each job\'s WAV' },
  'max-wait': { default: 300, help: 'seconds to wait for every delivery once submission ends' },
});

const say = (line: string): void => console.log(line);
// The receiver listens on loopback.
process.env.SCAIWAVE_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = 'true';
const environment = new Environment({ logLevel: 'warn', scaiecho: { nodeCapacity: 32, nodeEngine: 'instant' }, roles: ['admin'], say });

await runBench(environment, say, `webhook delivery latency at ${opt.rate} jobs/s for ${opt.seconds} s`, async (env) => {
  const arrivals = new Map<string, number>();
  let verifier: Webhook | undefined;
  let badSignatures = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString();
      try {
        const payload = verifier!.verify(body, Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]))) as { timestamp: string };
        const id = String(req.headers['webhook-id']);
        if (!arrivals.has(id)) arrivals.set(id, at - Date.parse(payload.timestamp));
      } catch {
        badSignatures++;
      }
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const headers = { Authorization: `Bearer ${env.tenant.apiKey.key}` };
    const registered = await fetch(`${env.api.url}/v1/webhooks`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, event_types: ['scaiecho.job.completed'] }),
    });
    if (registered.status !== 201) throw new Error(`registration answered ${registered.status}: ${await registered.text()}`);
    verifier = new Webhook(((await registered.json()) as { data: { secret: string } }).data.secret);

    const wav = toneWav(opt['audio-ms']);
    const submitted = await openLoop(opt.rate, opt.seconds, async () => {
      const form = new FormData();
      form.append('force_async', 'true');
      form.append('file', new Blob([wav]), 'tone.wav');
      const res = await fetch(`${env.api.url}/v1/modules/scaiecho/transcribe`, { method: 'POST', headers, body: form });
      await res.arrayBuffer();
      return res.status === 202;
    });
    const jobs = opt.rate * opt.seconds - submitted.errors;
    say(`submitted ${jobs} jobs (${submitted.errors} refused, ${submitted.late} late starts); submit p50 ${ms(percentile(submitted.latencies, 50))}`);
    await waitUntil('every delivery', async () => arrivals.size >= jobs, opt['max-wait'] * 1000).catch(() => undefined);

    const lat = [...arrivals.values()];
    say('');
    say(
      table([
        ['figure', 'value'],
        ['deliveries received (distinct webhook-id)', `${arrivals.size} of ${jobs}`],
        ['bad signatures', String(badSignatures)],
        ['latency from job completion p50', ms(percentile(lat, 50))],
        ['latency from job completion p99', ms(percentile(lat, 99))],
        ['latency from job completion max', ms(Math.max(...lat))],
        ['deliveries per second (submission phase)', fmt(arrivals.size / opt.seconds)],
      ]),
    );
    say(`load average (1/5/15 min) at the end of the phase ${loadAverage()}`);
  } finally {
    server.close();
  }
});
