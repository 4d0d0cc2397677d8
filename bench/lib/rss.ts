import fs from 'node:fs';
import { parseStat } from '../../devstack/proc-stat.js';

// Resident memory of a process group (a child the bench started and whatever it
// forked), from Linux's /proc: VmRSS sampled every few ms, and VmHWM, the
// kernel's own peak, reset at the start so it covers only what is watched and
// catches a spike between two samples. Elsewhere than Linux every figure is NaN.

const MiB = 1024 * 1024;

/** The pids of a process group now. */
function groupPids(pgid: number): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (parseStat(fs.readFileSync(`/proc/${d}/stat`, 'utf8')).pgrp === pgid) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** kB fields of /proc/<pid>/status, as bytes; 0 for a process gone. */
function status(pid: number): { rss: number; hwm: number } {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

export interface RssFigures {
  /** MiB when the watch began */
  before: number;
  /** highest sampled sum, MiB */
  peakSampled: number;
  /** sum of each process's VmHWM since the watch began, MiB: at least the true peak of the group */
  peakKernel: number;
  /** MiB when the watch ended */
  after: number;
  /** [epoch ms, MiB] of every sample */
  timeline: [number, number][];
}

export class RssWatch {
  private readonly pids: number[];
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly timeline: [number, number][] = [];

  /** Starts watching the group: one sample now, then every `everyMs`. */
  constructor(pgid: number, everyMs: number) {
    let pids: number[] = [];
    try {
      pids = groupPids(pgid);
      // "5" resets VmHWM to the current RSS (Linux ≥ 4.0, the process's owner may).
      for (const pid of pids) fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      pids = [];
    }
    this.pids = pids;
    this.sample();
    if (pids.length > 0) this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): number {
    const rss = this.pids.length === 0 ? Number.NaN : this.pids.reduce((sum, pid) => sum + status(pid).rss, 0) / MiB;
    this.timeline.push([Date.now(), rss]);
    return rss;
  }

  stop(): RssFigures {
    clearInterval(this.timer);
    const after = this.sample();
    const hwm = this.pids.length === 0 ? Number.NaN : this.pids.reduce((sum, pid) => sum + status(pid).hwm, 0) / MiB;
    return { before: this.timeline[0]![1], peakSampled: peakBetween(this.timeline, -Infinity, Infinity), peakKernel: hwm, after, timeline: this.timeline };
  }
}

/** The highest sample taken in [from, to] (epoch ms); NaN when none was. */
export function peakBetween(timeline: [number, number][], from: number, to: number): number {
  const inside = timeline.filter(([t]) => t >= from && t <= to).map(([, v]) => v);
  return inside.length === 0 ? Number.NaN : Math.max(...inside);
}
