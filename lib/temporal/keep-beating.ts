import { Context } from '@temporalio/activity';

/**
 * Runs `work` inside an activity, heartbeating every `everyMs` while it runs:
 * an activity with a heartbeat timeout shows it is alive whatever its steps
 * take, so a worker that dies mid-step is noticed within that timeout instead
 * of the whole start-to-close time. `details`: what the activity last
 * reported (its position), sent again with every beat.
 */
export async function keepBeating<T>(everyMs: number, work: () => Promise<T>, details?: unknown): Promise<T> {
  const ctx = Context.current();
  // Each heartbeat replaces the details a retry resumes from: an activity that
  // resumes from them passes its position, or a beat would erase it.
  const beat = setInterval(() => ctx.heartbeat(details), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}
