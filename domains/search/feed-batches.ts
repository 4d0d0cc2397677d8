import type { JsMsg } from 'nats';

// How the search feed cuts the consumer's messages into batches. Messages are
// queued as they arrive and a batch is handed on as soon as it is complete:
// when the last message queued says the consumer has nothing more pending
// (JetStream counts it in each delivery), or when the batch is full. So an
// event on a quiet stream goes on at once, and a backlog goes on in full
// batches. One batch is handled at a time, in order; whatever arrives
// meanwhile waits for the next. "Pending" counts the whole consumer, whose
// messages other workers may be taking, so a batch still short of complete
// goes anyway after `holdMs`.
//
// A batch short of full also waits until `minGapMs` after the one before it
// went: each batch becomes an index commit downstream (a Temporal activity, a
// LanceDB version, a fragment every reader opens), so under a steady stream
// the feed sends a few batches a second rather than one per event or two.

interface FeedBatches {
  /** Queues one delivered message (the consumer's callback, which cannot wait). */
  add(m: JsMsg): void;
  /** Hands on what is still queued, complete or not, and resolves when nothing is being handled. */
  drain(): Promise<void>;
}

interface FeedBatchOptions {
  max: number;
  holdMs: number;
  minGapMs: number;
}

/** `handle` must settle without throwing: it decides itself what a failed batch becomes (nak, log). */
export function feedBatches(handle: (batch: JsMsg[]) => Promise<void>, opts: FeedBatchOptions): FeedBatches {
  const queue: JsMsg[] = [];
  let handling: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** the hold ran out, or the feed is stopping: the next batch goes complete or not */
  let overdue = false;
  let draining = false;
  /** when the last batch was handed on */
  let lastSent = -Infinity;

  const complete = () => queue.length >= opts.max || queue[queue.length - 1]!.info.pending === 0;

  /** Looks again in `ms` (one timer at a time: whichever is set looks at everything again). */
  function later(ms: number, then?: () => void): void {
    timer ??= setTimeout(() => {
      timer = undefined;
      then?.();
      next();
    }, ms);
  }

  function next(): void {
    if (handling || queue.length === 0) return;
    if (queue.length < opts.max && !draining) {
      if (!complete() && !overdue) return later(opts.holdMs, () => (overdue = true));
      const gapLeft = lastSent + opts.minGapMs - performance.now();
      if (gapLeft > 0) return later(gapLeft);
    }
    clearTimeout(timer);
    timer = undefined;
    overdue = false;
    lastSent = performance.now();
    handling = handle(queue.splice(0, opts.max)).finally(() => {
      handling = undefined;
      next();
    });
  }

  return {
    add(m) {
      queue.push(m);
      next();
    },
    async drain() {
      draining = true;
      next();
      while (handling) await handling;
    },
  };
}
