import { describe, expect, it } from 'vitest';
import { PendingFrames } from '../domains/scaiecho/live/pending-frames.js';
import { OpusPcmDecoder } from '../lib/audio/opus.js';
import { ReorderWindow, seqDelta } from '../lib/webrtc/reorder.js';

// The pieces of the WebRTC path that hold state of their own: RTP put back
// in order (wrap, loss, lateness), the frames held for a control socket, and
// the Opus decoder's refusal of what is not a packet. The whole path, with a
// real browser, is test/stream-webrtc.test.ts.

function window(depth = 3) {
  const out: number[] = [];
  const w = new ReorderWindow<number>(depth, (seq) => out.push(seq));
  const push = (...seqs: number[]) => seqs.forEach((s) => w.push(s, s));
  return { w, out, push };
}

describe('RTP reordering', () => {
  it('measures sequence distance across the 16-bit wrap', () => {
    expect(seqDelta(65_535, 0)).toBe(1);
    expect(seqDelta(0, 65_535)).toBe(-1);
    expect(seqDelta(10, 20)).toBe(10);
  });

  it('hands packets on in order, across the wrap, whatever order they came in', () => {
    const { w, out, push } = window();
    push(65_533, 65_535, 65_534, 1, 0, 2);
    expect(out).toEqual([65_533, 65_534, 65_535, 0, 1, 2]);
    expect({ received: w.received, lost: w.lost, late: w.late }).toEqual({ received: 6, lost: 0, late: 0 });
  });

  it('skips a packet still missing when the window is full, and counts it lost; one that comes after is late', () => {
    const { w, out, push } = window(3);
    push(1, 3, 4, 5);
    expect(out).toEqual([1]);
    push(6);
    expect(out).toEqual([1, 3, 4, 5, 6]);
    push(2);
    expect(out).toEqual([1, 3, 4, 5, 6]);
    expect({ received: w.received, lost: w.lost, late: w.late }).toEqual({ received: 5, lost: 1, late: 1 });
  });

  it('a duplicate is dropped; flush hands on what is held, gaps counted', () => {
    const { w, out, push } = window(5);
    push(10, 10, 12, 14);
    w.flush();
    expect(out).toEqual([10, 12, 14]);
    expect({ lost: w.lost, late: w.late }).toEqual({ lost: 2, late: 1 });
  });

  it('a sender that starts over far away is followed, not waited for', () => {
    const { out, push } = window(3);
    push(100, 101, 30_000, 30_001);
    expect(out).toEqual([100, 101, 30_000, 30_001]);
  });
});

describe('frames held for a control socket', () => {
  it('keeps every final in order and, of partials, the latest since the frame before', () => {
    const p = new PendingFrames();
    p.add({ type: 'ready' }, false);
    p.add({ text: 'the' }, true);
    p.add({ text: 'the quick' }, true);
    p.add({ text: 'the quick brown', final: true }, false);
    p.add({ text: 'seven' }, true);
    p.add({ text: 'seven green' }, true);
    expect(p.take()).toEqual([{ type: 'ready' }, { text: 'the quick' }, { text: 'the quick brown', final: true }, { text: 'seven green' }]);
    expect(p.take()).toEqual([]);
  });
});

describe('Opus decoding', () => {
  it('decodes a packet to 16-bit mono at the rate asked, and refuses one that is not Opus', async () => {
    const d = new OpusPcmDecoder(16_000);
    await d.ready;
    try {
      // A CELT-only 20 ms packet (TOC 0xf8: config 31, mono, one frame) holding silence.
      const silence = d.decode(Uint8Array.from([0xf8, 0xff, 0xfe]));
      expect(silence?.length).toBe(320 * 2);
      expect(d.decode(new Uint8Array(0))).toBeUndefined();
      expect(d.decode(new Uint8Array(5000))).toBeUndefined();
    } finally {
      d.free();
    }
  });
});
