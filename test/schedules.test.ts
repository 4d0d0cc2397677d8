import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../devstack/ports.js';
import { createTemporalClient } from '../lib/temporal/client.js';
import { SCHEDULE_NAMES } from '../lib/temporal/schedule-names.js';
import { runScaiwave } from './support/cli.js';
import { testConfig, uniq } from './support/stack.js';

// `scaiwave schedules …` against the run's Temporal. The schedules point at a
// task queue no worker polls, so a run they start stays queued and nothing
// flushes or syncs behind the other suites' backs; they are deleted at the end.

const queue = uniq('schedules-unpolled');
const env = { SCAIWAVE_TEMPORAL_TASK_QUEUE: queue };
const { client, close: closeTemporal } = createTemporalClient(testConfig());

interface ListedSchedule {
  name: string;
  exists: boolean;
  paused: boolean | null;
  every_ms: number | null;
  jitter_ms: number | null;
  workflow_type: string | null;
  next_run: string | null;
  last_run: { workflow_id: string } | null;
  note: string | null;
}

async function list(): Promise<ListedSchedule[]> {
  const run = await runScaiwave(['schedules', 'list', '--json'], env);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { schedules: ListedSchedule[] }).schedules;
}

async function apply(extra: Record<string, string> = {}): Promise<{ name: string; action: string; changed: string[] }[]> {
  const run = await runScaiwave(['schedules', 'apply', '--json'], { ...env, ...extra });
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { schedules: { name: string; action: string; changed: string[] }[] }).schedules;
}

afterAll(async () => {
  for (const name of SCHEDULE_NAMES) await client.schedule.getHandle(name).delete().catch(() => undefined);
  for await (const w of client.workflow.list({ query: `TaskQueue = '${queue}' AND ExecutionStatus = 'Running'` })) {
    await client.workflow.getHandle(w.workflowId, w.runId).terminate('schedules test cleanup').catch(() => undefined);
  }
  await closeTemporal();
});

describe('scaiwave schedules', () => {
  it('apply creates each schedule once; again changes nothing; a new interval updates only the schedules it is for', async () => {
    expect((await list()).map((s) => [s.name, s.exists])).toEqual(SCHEDULE_NAMES.map((n) => [n, false]));

    expect((await apply()).map((r) => [r.name, r.action])).toEqual(SCHEDULE_NAMES.map((n) => [n, 'created']));
    expect((await apply()).map((r) => [r.name, r.action])).toEqual(SCHEDULE_NAMES.map((n) => [n, 'unchanged']));
    const listed = await list();
    expect(listed.map((s) => [s.name, s.exists, s.paused, s.every_ms, s.workflow_type])).toEqual([
      ['accounting-flush', true, false, 30_000, 'accountingFlushWorkflow'],
      ['identity-sync', true, false, 3_600_000, 'identitySyncAllWorkflow'],
      ['retention-purge', true, false, 86_400_000, 'retentionPurgeWorkflow'],
      ['warm-reconcile', true, false, 300_000, 'warmReconcileWorkflow'],
    ]);
    expect(listed.map((s) => s.jitter_ms)).toEqual([0, 360_000, 1_800_000, 30_000]);
    expect(listed.every((s) => s.note && s.note.length > 20 && s.next_run)).toBe(true);

    const updated = await apply({ SCAIWAVE_ACCOUNTING_FLUSH_INTERVAL_SECONDS: '45', SCAIWAVE_WARM_RECONCILE_INTERVAL_SECONDS: '600' });
    expect(updated.map((r) => [r.name, r.action])).toEqual([
      ['accounting-flush', 'updated'],
      ['identity-sync', 'unchanged'],
      ['retention-purge', 'unchanged'],
      ['warm-reconcile', 'updated'],
    ]);
    expect(updated[0]!.changed).toEqual(expect.arrayContaining(['interval']));
    expect(updated[3]!.changed).toEqual(expect.arrayContaining(['interval', 'jitter']));
    expect((await client.schedule.getHandle('warm-reconcile').describe()).spec.intervals?.map((i) => i.every)).toEqual([600_000]);

    const flush = await client.schedule.getHandle('accounting-flush').describe();
    expect(flush.spec.intervals?.map((i) => i.every)).toEqual([45_000]);
    expect(flush.policies.overlap).toBe('SKIP');
    expect(flush.action).toMatchObject({ workflowId: 'grid-accounting-flush', taskQueue: queue });
    // Still one schedule per name on the server.
    await waitUntil('schedules visible in the list', async () => {
      const ids: string[] = [];
      for await (const s of client.schedule.list()) ids.push(s.scheduleId);
      return SCHEDULE_NAMES.every((n) => ids.filter((id) => id === n).length === 1) && ids.length === SCHEDULE_NAMES.length;
    });
  }, 120_000);

  it('pause survives apply; unpause; trigger starts a run with a readable id; unknown names exit 2', async () => {
    const paused = await runScaiwave(['schedules', 'pause', 'retention-purge', '--note', 'disk maintenance'], env);
    expect(paused.code, paused.stderr).toBe(0);
    await apply();
    let r = (await list()).find((s) => s.name === 'retention-purge')!;
    expect(r).toMatchObject({ paused: true, note: 'disk maintenance' });

    expect((await runScaiwave(['schedules', 'unpause', 'retention-purge'], env)).code).toBe(0);
    r = (await list()).find((s) => s.name === 'retention-purge')!;
    expect(r.paused).toBe(false);
    expect(r.note).toMatch(/retention/);

    const trigger = await runScaiwave(['schedules', 'trigger', 'retention-purge'], env);
    expect(trigger.code, trigger.stderr).toBe(0);
    let workflowId = '';
    await waitUntil('the triggered run', async () => {
      workflowId = (await list()).find((s) => s.name === 'retention-purge')!.last_run?.workflow_id ?? '';
      return workflowId !== '';
    });
    expect(workflowId).toMatch(/^wave-retention-purge-\d{4}-\d{2}-\d{2}T/);
    const run = await client.workflow.getHandle(workflowId).describe();
    expect(run.searchAttributes).toMatchObject({ JobKind: ['retention.purge'] });
    expect(run.taskQueue).toBe(queue);

    for (const args of [['schedules', 'pause', 'nightly-backup'], ['schedules', 'trigger'], ['schedules', 'frobnicate']]) {
      const bad = await runScaiwave(args, env);
      expect(bad.code, args.join(' ')).toBe(2);
    }
  }, 120_000);

  it('--help names the operator commands', async () => {
    const [top, schedules, sync] = await Promise.all([
      runScaiwave(['--help']),
      runScaiwave(['schedules', '--help']),
      runScaiwave(['sync', '--help']),
    ]);
    expect(top.stdout).toMatch(/^\s+sync\b/m);
    expect(top.stdout).toMatch(/^\s+schedules\b/m);
    for (const c of ['apply', 'list', 'pause', 'unpause', 'trigger']) expect(schedules.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    expect(sync.stdout).toContain('--tenant <slug>');
    expect(sync.stdout).toContain('5   incomplete');
  }, 60_000);

  it('exits 1 with one line when Temporal does not answer', async () => {
    const run = await runScaiwave(['schedules', 'list'], { SCAIWAVE_TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^scaiwave: cannot connect to Temporal at 127\.0\.0\.1:1: /)]);
  }, 60_000);
});
