import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../api/server.js';
import { waitUntil } from '../devstack/ports.js';
import { loadConfig, type Config } from '../lib/config.js';
import { periodEnd } from '../domains/export/compliance.js';
import { complianceScheduleId } from '../domains/export/compliance-schedule.js';
import type { Db } from '../lib/infra/db.js';
import { newId } from '../lib/infra/ids.js';
import { createS3 } from '../lib/infra/s3.js';
import type { Provisioned } from '../domains/identity/provisioning.js';
import { runScaiwave } from './support/cli.js';
import { captureHistory } from './support/histories.js';
import { startIsolatedStack, type IsolatedStack } from './support/isolated-stack.js';
import { call, newTenant, uniq } from './support/stack.js';
import { waveComplianceExportWorkflow, type ComplianceRunSummary } from '../domains/export/workflows/compliance-export.js';

// Scheduled compliance exports: each run bundles every room's new messages
// since its cursor up to the end of the last whole period, under the
// compliance prefix; quiet rooms get no bundle; a run that comes late (missed
// periods) exports the whole gap in one bundle. Periods of two seconds here,
// so periods pass while the suite waits for them (never asserted on time).

describe('ScaiWave scheduled compliance exports: per room, from the last successful cursor', () => {
  const base = loadConfig(process.env);
  let stack: IsolatedStack;
  let env: Record<string, string>;
  let config: Config;
  let db: Db;
  let api: RunningApi;
  let temporal: IsolatedStack['temporal'];
  const s3 = createS3(base);

  beforeAll(async () => {
    stack = await startIsolatedStack('compliance');
    ({ env, config, db, api, temporal } = stack);
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
    s3.destroy();
  });

  async function setUp(): Promise<{ t: Provisioned; room: (name: string) => Promise<string>; post: (roomId: string, body: string) => Promise<void> }> {
    const t = await newTenant(db, { roles: ['admin'] });
    const ws = (await call<{ id: string }>(api.url, 'POST', '/v1/wave/workspaces', { token: t.apiKey.key, json: { slug: uniq('ws'), name: 'Compliance' } })).body.data!.id;
    return {
      t,
      room: async (name) => (await call<{ id: string }>(api.url, 'POST', `/v1/wave/workspaces/${ws}/rooms`, { token: t.apiKey.key, json: { kind: 'channel', name } })).body.data!.id,
      post: async (roomId, body) => {
        const res = await call(api.url, 'POST', `/v1/wave/rooms/${roomId}/messages`, { token: t.apiKey.key, json: { body } });
        expect(res.status).toBe(201);
      },
    };
  }

  const run = async (tenantId: string, periodSeconds: number): Promise<ComplianceRunSummary> => {
    const handle = await temporal.client.workflow.start(waveComplianceExportWorkflow, {
      taskQueue: config.env.SCAIWAVE_TEMPORAL_TASK_QUEUE,
      workflowId: uniq('compliance-run'),
      args: [{ tenantId, periodSeconds }],
    });
    const summary = await handle.result();
    // A run that exported something: its history has the child exports in it.
    if (summary.exported > 0) await captureHistory('waveComplianceExportWorkflow--caught-up', handle);
    return summary;
  };
  /** Until the period a message was posted in has ended, so a run covers it. */
  const periodPassed = (periodSeconds: number) => {
    const after = Date.now();
    return waitUntil('a period ends', async () => periodEnd(Date.now(), periodSeconds * 1000) > after, 60_000);
  };
  const scheduled = (roomId: string) => db.waveExport.findMany({ where: { roomId, kind: 'scheduled' }, orderBy: { until: 'asc' } });
  const exists = (key: string) =>
    s3.send(new HeadObjectCommand({ Bucket: base.env.SCAIWAVE_S3_BUCKET, Key: key })).then(
      () => true,
      () => false,
    );

  it('first run bundles each busy room from its beginning; quiet rooms get none; a late run exports the whole gap once; then nothing is new', async () => {
    const { t, room, post } = await setUp();
    const busy = await room('busy');
    const quiet = await room('quiet');
    await post(busy, 'before the first run');
    await periodPassed(2);

    const first = await run(t.tenant.id, 2);
    expect(first).toMatchObject({ exported: 1, failed: [] });
    expect(first.quiet).toBeGreaterThanOrEqual(1);
    const [one] = await scheduled(busy);
    expect(one).toMatchObject({ status: 'completed', since: null, until: new Date(first.until) });
    expect(one!.objectKey.startsWith(`${t.tenant.id}/compliance/${busy}/`)).toBe(true);
    expect(await exists(one!.objectKey)).toBe(true);
    expect(await scheduled(quiet)).toHaveLength(0);
    expect((await db.waveComplianceCursor.findUniqueOrThrow({ where: { roomId: busy } })).exportedUntil).toEqual(new Date(first.until));
    expect((await db.waveComplianceCursor.findUniqueOrThrow({ where: { roomId: quiet } })).exportId).toBeNull();

    // Runs missed: messages over several periods, then one run.
    await post(busy, 'in a missed period');
    await periodPassed(2);
    await post(busy, 'in another missed period');
    await periodPassed(2);
    const late = await run(t.tenant.id, 2);
    expect(late).toMatchObject({ exported: 1, failed: [] });
    const [, gap] = await scheduled(busy);
    expect(gap).toMatchObject({ status: 'completed', since: new Date(first.until), until: new Date(late.until), messagesTotal: 2 });

    const again = await run(t.tenant.id, 2);
    expect(again.exported).toBe(0);
    expect(await scheduled(busy)).toHaveLength(2);
  }, 600_000);

  it('the CLI sets a tenant\'s own schedule, runs it, lists its runs, and removes it', async () => {
    const { t, room } = await setUp();
    const roomId = await room('history');
    // A message of two days ago: inside the last whole day whenever the suite runs.
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    await db.waveMessage.create({ data: { id: newId(), tenantId: t.tenant.id, roomId, seq: 1n, authorId: t.user.id, body: 'old news', mentions: [], createdAt: twoDaysAgo } });
    await db.waveRoom.update({ where: { id: roomId }, data: { lastSeq: 1n, createdAt: twoDaysAgo } });

    const cli = (...args: string[]) => runScaiwave(args, env);
    const set = await cli('compliance', 'schedule', '--tenant', t.tenant.slug, '--every', '1d', '--json');
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ schedule: 'created', everySeconds: 86_400 });
    expect(JSON.parse((await cli('compliance', 'schedule', '--tenant', t.tenant.slug, '--every', '12h', '--json')).stdout)).toMatchObject({ schedule: 'updated' });
    expect((await cli('compliance', 'schedule', '--tenant', t.tenant.slug, '--every', '10s')).code).toBe(2);

    expect((await cli('compliance', 'run', '--tenant', t.tenant.slug)).code).toBe(0);
    await waitUntil('scheduled export done', async () => (await scheduled(roomId)).some((e) => e.status === 'completed'), 300_000);
    const runs = await cli('compliance', 'runs', '--tenant', t.tenant.slug, '--json');
    expect(runs.code, runs.stderr).toBe(0);
    const listed = JSON.parse(runs.stdout) as { schedule: { everySeconds: number }; runs: { roomId: string; status: string; objectKey: string }[] };
    expect(listed.schedule.everySeconds).toBe(12 * 3600);
    expect(listed.runs).toMatchObject([{ roomId, status: 'completed' }]);
    expect(await exists(listed.runs[0]!.objectKey)).toBe(true);

    expect(JSON.parse((await cli('compliance', 'schedule', '--tenant', t.tenant.slug, '--off', '--json')).stdout)).toMatchObject({ schedule: 'removed' });
    await expect(temporal.client.schedule.getHandle(complianceScheduleId(t.tenant.id)).describe()).rejects.toThrow();
    expect((await cli('compliance', 'run', '--tenant', t.tenant.slug)).code).toBe(3);
  }, 600_000);
});
