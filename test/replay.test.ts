import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';
import { createPayloadSealing } from '../lib/codec/data-converter.js';
import { isSealed } from '../lib/codec/payload-codec.js';
import { mapPayloadsIn } from '../lib/codec/open-payloads.js';
import { workflowsPath } from '../worker/bundle.js';
import { historiesDir } from './support/histories.js';
import { testConfig } from './support/stack.js';

// Saved histories of every workflow kind, replayed against today's workflow code
// with the deployment's payload codec installed, as the worker runs it: a
// change that would break workflows already running in production fails here.
// The saved ones hold plain payloads (written before the codec, or opened when
// captured), which the codec passes through; the same histories sealed by it,
// as Temporal now stores them, replay too.
const sealing = createPayloadSealing(testConfig());
afterAll(() => sealing.close());

describe('workflow code replays the saved histories', () => {
  const files = fs.readdirSync(historiesDir).filter((f) => f.endsWith('.json'));
  const saved = () =>
    files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(historiesDir, f), 'utf8'))) }));

  async function replayFailures(histories: ReturnType<typeof saved>): Promise<string[]> {
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath, dataConverter: sealing.dataConverter }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    return failures;
  }

  it('has a saved history for every workflow kind the worker runs', async () => {
    const kinds = new Set(files.map((f) => f.split('--')[0]));
    const workflows = Object.keys(await import('../workflows/index.js'));
    expect([...kinds].sort()).toEqual(workflows.sort());
  });

  it('replays each without a nondeterminism error', async () => {
    expect(await replayFailures(saved())).toEqual([]);
  }, 120_000);

  it('replays each with every payload sealed, as the codec stores them now', async () => {
    const histories = saved();
    let sealed = 0;
    // Markers stay as they are: a patch marker is the SDK core's own record, which it reads without the codec.
    const events = histories.flatMap((h) => h.history.events ?? []).filter((ev) => !ev.markerRecordedEventAttributes);
    for (const ev of events) {
      await mapPayloadsIn(ev, async (p) => {
        sealed += 1;
        return (await sealing.codec.encode([p]))[0];
      });
    }
    expect(sealed).toBeGreaterThan(histories.length);
    let stillPlain = 0;
    for (const ev of events) await mapPayloadsIn(ev, async (p) => void (stillPlain += isSealed(p) ? 0 : 1));
    expect(stillPlain).toBe(0);
    expect(await replayFailures(histories)).toEqual([]);
  }, 180_000);
});
