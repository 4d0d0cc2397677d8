import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowsPath } from '../worker/bundle.js';
import { historiesDir } from './support/histories.js';

// Saved histories of every workflow kind, replayed against today's workflow code:
// a change that would break workflows already running in production fails here.
describe('workflow code replays the saved histories', () => {
  const files = fs.readdirSync(historiesDir).filter((f) => f.endsWith('.json'));

  it('has a saved history for every workflow kind the worker runs', async () => {
    const kinds = new Set(files.map((f) => f.split('--')[0]));
    const workflows = Object.keys(await import('../workflows/index.js'));
    expect([...kinds].sort()).toEqual(workflows.sort());
  });

  it('replays each without a nondeterminism error', async () => {
    const histories = files.map((f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: JSON.parse(fs.readFileSync(path.join(historiesDir, f), 'utf8')) as unknown,
    }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
