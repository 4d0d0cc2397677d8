// A live session pauses its transport when the STT node is behind. A
// WebSocket stops reading; RTP cannot be asked to wait, it keeps coming at
// speaking pace. So audio that comes while paused is held, up to `maxBytes`,
// and handed on at resume; past that it is dropped and counted, a node that
// stays this far behind cannot serve the session in real time anyway.

export class HeldAudio {
  private paused = false;
  private held: Buffer[] = [];
  private heldBytes = 0;
  droppedBytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly feed: (pcm: Buffer) => void,
  ) {}

  push(pcm: Buffer): void {
    if (!this.paused) return this.feed(pcm);
    if (this.heldBytes + pcm.length > this.maxBytes) {
      this.droppedBytes += pcm.length;
      return;
    }
    this.held.push(pcm);
    this.heldBytes += pcm.length;
  }

  pause(): void {
    this.paused = true;
  }

  /** Hands on what was held, in order, as long as the session does not pause again. */
  resume(): void {
    this.paused = false;
    while (!this.paused && this.held.length > 0) {
      const pcm = this.held.shift()!;
      this.heldBytes -= pcm.length;
      this.feed(pcm);
    }
  }
}
