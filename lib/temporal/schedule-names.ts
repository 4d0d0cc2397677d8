// The schedules' names (each also its schedule id), apart from their definitions
// in schedules.ts, so the CLI's help can list them without loading Temporal's client.

export const SCHEDULE_NAMES = ['accounting-flush', 'identity-sync', 'retention-purge', 'warm-reconcile'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];
