// The workflow id is the business key: starting the same work twice attaches to
// the first run instead of running it again. One function per workflow kind, so
// the API, the CLI and the tests never spell an id twice. Pure: workflows import it.

export const workflowIds = {
  systemCheck: (checkId: string): string => `system-check-${checkId}`,
  transcribe: (jobId: string): string => `scaiecho-transcribe-${jobId}`,
} as const;
