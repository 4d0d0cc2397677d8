import type { ActivityDeps } from './deps.js';
import { systemActivities } from './system.js';

export type { ActivityDeps };

export function createActivities(deps: ActivityDeps) {
  return {
    ...systemActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
