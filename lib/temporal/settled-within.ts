/**
 * Waits for a workflow's outcome, but no longer than `ms`: a route that
 * started or signalled work answers once it is done, or says it is on its way.
 * A failed run counts as settled; the caller reads what it left behind.
 */
export async function settledWithin(handle: { result(): Promise<unknown> }, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([handle.result().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
