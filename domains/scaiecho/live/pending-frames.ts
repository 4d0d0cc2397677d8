// What a WebRTC session said while no control socket listened (before it
// attached, or between two): every frame kept in order but partials, of which
// only the latest since the last other frame is kept, as it replaces the ones
// before anyway. So finals are never dropped and the partials held stay at one;
// the finals a session can have are bounded by its longest length.

export class PendingFrames {
  private frames: object[] = [];
  /** index of the partial that the next one replaces, if the last frame is one */
  private partialAt = -1;

  add(frame: object, droppable: boolean): void {
    if (droppable && this.partialAt >= 0) {
      this.frames[this.partialAt] = frame;
      return;
    }
    this.partialAt = droppable ? this.frames.length : -1;
    this.frames.push(frame);
  }

  /** Everything held, oldest first; the buffer is empty after. */
  take(): object[] {
    const all = this.frames;
    this.frames = [];
    this.partialAt = -1;
    return all;
  }
}
