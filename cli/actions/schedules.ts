import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription } from '@temporalio/client';
import type { ScheduleName } from '../../lib/temporal/schedule-names.js';
import { applySchedules, scheduleCatalogue, scheduleDef } from '../../domains/schedules.js';
import { withTemporal } from '../connections.js';
import { formatTable, notFound, print, printJson } from '../support.js';

// What `scaiwave schedules …` does (arguments and help: commands/schedules.ts):
// the Temporal Schedules that replace the seeds' cron singleton. `apply` makes
// the server match domains/schedules.ts.

const duration = (ms: number): string => {
  if (ms === 0) return '0';
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
};

async function describeOrNotFound(client: Client, name: ScheduleName): Promise<ScheduleDescription> {
  try {
    return await client.schedule.getHandle(name).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw notFound(`schedule "${name}" does not exist; create it with: scaiwave schedules apply`);
    throw err;
  }
}

export async function applyCommand(opts: { json?: boolean }): Promise<void> {
  const results = await withTemporal(({ client, config }) => applySchedules(client, config.env));
  if (opts.json) {
    printJson({ schedules: results.map((r) => ({ name: r.name, action: r.action, changed: r.changed, every_ms: r.everyMs, jitter_ms: r.jitterMs })) });
    return;
  }
  for (const r of results) {
    const what = r.action === 'updated' ? `updated (${r.changed.join(', ')})` : r.action;
    print(`${r.name.padEnd(18)} ${what.padEnd(28)} every ${duration(r.everyMs)}${r.jitterMs ? `, jitter up to ${duration(r.jitterMs)}` : ''}`);
  }
}

interface Listed {
  name: ScheduleName;
  exists: boolean;
  paused: boolean | null;
  every_ms: number | null;
  jitter_ms: number | null;
  workflow_type: string | null;
  next_run: string | null;
  last_run: { scheduled_at: string; workflow_id: string } | null;
  note: string | null;
}

export async function listCommand(opts: { json?: boolean }): Promise<void> {
  const rows = await withTemporal(async ({ client, config }) => {
    const out: Listed[] = [];
    for (const def of scheduleCatalogue(config.env)) {
      let d: ScheduleDescription | undefined;
      try {
        d = await client.schedule.getHandle(def.name).describe();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
      const last = d?.info.recentActions.at(-1);
      out.push({
        name: def.name,
        exists: d !== undefined,
        paused: d?.state.paused ?? null,
        every_ms: d?.spec.intervals?.[0]?.every ?? null,
        jitter_ms: d ? (d.spec.jitter ?? 0) : null,
        workflow_type: d?.action.workflowType ?? null,
        next_run: d?.info.nextActionTimes[0]?.toISOString() ?? null,
        last_run: last ? { scheduled_at: last.scheduledAt.toISOString(), workflow_id: last.action.workflow.workflowId } : null,
        note: d?.state.note ?? null,
      });
    }
    return out;
  });
  if (opts.json) {
    printJson({ schedules: rows });
    return;
  }
  print(
    ...formatTable(
      ['NAME', 'STATE', 'EVERY', 'JITTER', 'NEXT RUN', 'LAST RUN', 'NOTE'],
      rows.map((r) => [
        r.name,
        !r.exists ? 'missing' : r.paused ? 'paused' : 'active',
        r.every_ms === null ? '-' : duration(r.every_ms),
        r.jitter_ms === null ? '-' : duration(r.jitter_ms),
        r.next_run ?? '-',
        r.last_run?.scheduled_at ?? '-',
        r.exists ? (r.note ?? '') : 'run: scaiwave schedules apply',
      ]),
    ),
  );
}

export async function pauseCommand(name: ScheduleName, opts: { note?: string }): Promise<void> {
  await withTemporal(async ({ client }) => {
    await describeOrNotFound(client, name);
    await client.schedule.getHandle(name).pause(opts.note ?? `paused with scaiwave schedules pause at ${new Date().toISOString()}`);
  });
  print(`Paused ${name}; no new runs start until: scaiwave schedules unpause ${name}`);
}

export async function unpauseCommand(name: ScheduleName): Promise<void> {
  await withTemporal(async ({ client, config }) => {
    await describeOrNotFound(client, name);
    const note = scheduleDef(config.env, name).note;
    await client.schedule.getHandle(name).unpause(note);
  });
  print(`Unpaused ${name}`);
}

export async function triggerCommand(name: ScheduleName): Promise<void> {
  await withTemporal(async ({ client }) => {
    await describeOrNotFound(client, name);
    // SKIP, like the schedule itself: a run already going is not doubled.
    await client.schedule.getHandle(name).trigger(ScheduleOverlapPolicy.SKIP);
  });
  print(`Triggered ${name}: a run starts now unless one is already running.`, 'Follow it in the Temporal UI or with: scaiwave schedules list');
}
