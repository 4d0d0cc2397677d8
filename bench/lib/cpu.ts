import { machineBusySeconds, processStats } from '../../devstack/proc-stat.js';

// Where a phase's CPU went: user + system time of each process group the bench
// started (a child and whatever it forked), of a few shared daemons by name, of
// this process, and of the whole machine (other people's work included).
// Elsewhere than Linux every figure is NaN.

export interface CpuReading {
  /** group or daemon name → CPU seconds */
  groups: Map<string, number>;
  self: number;
  /** every CPU's busy time, seconds */
  machine: number;
}

/** `groups`: name → process group id; `daemons`: process names. */
export function readCpu(groups: Record<string, number>, daemons: string[]): CpuReading {
  const selfUsage = process.cpuUsage();
  try {
    const stats = processStats();
    const sum = (keep: (s: (typeof stats)[number]) => boolean): number => stats.filter(keep).reduce((total, s) => total + s.cpuSeconds, 0);
    return {
      groups: new Map([
        ...Object.entries(groups).map(([name, pgrp]): [string, number] => [name, sum((s) => s.pgrp === pgrp)]),
        ...daemons.map((d): [string, number] => [d, sum((s) => s.comm === d)]),
      ]),
      self: (selfUsage.user + selfUsage.system) / 1e6,
      machine: machineBusySeconds(),
    };
  } catch {
    return { groups: new Map(), self: Number.NaN, machine: Number.NaN };
  }
}

/** CPU seconds spent between two readings, by name, this process as `self` and the rest of the machine as `other`. */
export function cpuSpent(before: CpuReading, after: CpuReading): [string, number][] {
  const groups = [...after.groups].map(([name, s]): [string, number] => [name, s - (before.groups.get(name) ?? 0)]);
  const self = after.self - before.self;
  const machine = after.machine - before.machine;
  return [...groups, ['self', self], ['other', machine - self - groups.reduce((s, [, v]) => s + v, 0)]];
}
