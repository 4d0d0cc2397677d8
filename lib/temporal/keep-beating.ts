import { Context } from '@temporalio/activity';

/**
 * Runs `work` inside an activity, heartbeating every `everyMs` while it runs:
 * an activity with a heartbeat timeout shows it is alive whatever its steps
 * take, so a worker that dies mid-step is noticed within that timeout instead
 * of the whole start-to-close time.
 */
export async function keepBeating<T>(everyMs: number, work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}
