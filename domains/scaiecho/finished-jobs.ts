import { TERMINAL, type ViewedJob } from './jobs.js';

interface Entry {
  job: ViewedJob;
  tenantId: string;
  userId: string;
  until: number;
}

/**
 * Finished jobs the poll read lately, in this API process. A job in an end
 * state (completed, failed, cancelled) never moves again and nothing rewrites
 * what a caller sees of it; what can still happen is that it disappears (the
 * retention purge, an erasure, a deletion in another process), which no message tells this process. So an
 * entry lives `ttlMs` (1 s in the API: the bound a revoked credential has too),
 * and within it a client polling a finished job in a loop costs no MariaDB read.
 *
 * An entry answers only the tenant and user that own the job, compared byte for
 * byte, under the id exactly as the row holds it; anyone else is asked of
 * MariaDB as before (and gets 404 there). Jobs still queued or running are never
 * kept: their every poll reads the row.
 */
export class FinishedJobs {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The caller's own finished job, if kept and fresh; undefined means: read it. */
  get(caller: { tenantId: string; userId: string }, jobId: string): ViewedJob | undefined {
    const e = this.entries.get(jobId);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.entries.delete(jobId);
      return undefined;
    }
    return e.tenantId === caller.tenantId && e.userId === caller.userId ? e.job : undefined;
  }

  /** Drops a job this process deleted: its owner must not read it back from here. Other processes may for up to `ttlMs`. */
  forget(jobId: string): void {
    this.entries.delete(jobId);
  }

  /** Keeps `job`, read for `caller` (who owns it), if it has finished. */
  remember(caller: { tenantId: string; userId: string }, job: ViewedJob): void {
    if (!TERMINAL.has(job.status) || this.entries.has(job.id)) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(job.id, { job, tenantId: caller.tenantId, userId: caller.userId, until: this.now() + this.ttlMs });
  }
}
