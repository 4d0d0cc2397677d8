import type { ActivityDeps } from './deps.js';
import { systemActivities } from './system.js';
import { transcriptionActivities } from './transcription.js';

export type { ActivityDeps };

export function createActivities(deps: ActivityDeps) {
  return {
    ...systemActivities(deps),
    ...transcriptionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
