// RTP over UDP comes a little out of order now and then, and some packets
// never come. This hands packets on in sequence-number order, holding at most
// `depth` of them while one is missing: a gap still open when the window is
// full is counted lost and skipped (no concealment). A packet behind what was
// already handed on came too late and is dropped. Sequence numbers are 16 bits
// and wrap (RFC 3550 §A.1).

const SEQ_MOD = 0x1_0000;

/** How far `b` is ahead of `a`, in -32768..32767, across the wrap. */
export function seqDelta(a: number, b: number): number {
  const d = (b - a + SEQ_MOD) % SEQ_MOD;
  return d >= SEQ_MOD / 2 ? d - SEQ_MOD : d;
}

export class ReorderWindow<T> {
  private next: number | undefined;
  private readonly held = new Map<number, T>();
  received = 0;
  lost = 0;
  late = 0;

  constructor(
    private readonly depth: number,
    private readonly deliver: (item: T) => void,
  ) {}

  push(seq: number, item: T): void {
    if (this.next === undefined) this.next = seq;
    const ahead = seqDelta(this.next, seq);
    // A jump this far is a restarted sender, not reordering: start over from it.
    if (ahead >= SEQ_MOD / 4 || ahead <= -SEQ_MOD / 4) {
      this.flush();
      this.next = seq;
    } else if (ahead < 0 || this.held.has(seq)) {
      this.late += 1;
      return;
    }
    this.received += 1;
    this.held.set(seq, item);
    this.release();
    while (this.held.size > this.depth) this.skip();
  }

  /** Hands on all that is held, gaps skipped: the stream is over. */
  flush(): void {
    while (this.held.size > 0) this.skip();
  }

  private release(): void {
    while (this.next !== undefined && this.held.has(this.next)) {
      const item = this.held.get(this.next)!;
      this.held.delete(this.next);
      this.next = (this.next + 1) % SEQ_MOD;
      this.deliver(item);
    }
  }

  /** Gives up on the missing packet at the head of the window. */
  private skip(): void {
    this.lost += 1;
    this.next = (this.next! + 1) % SEQ_MOD;
    this.release();
  }
}
