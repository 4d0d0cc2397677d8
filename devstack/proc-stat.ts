import fs from 'node:fs';

// Processes as Linux's /proc shows them: what a test or a bench needs to find
// a server's children (its process group) and to count CPU time.

/** Clock ticks per second of /proc's times (USER_HZ: 100 on Linux). */
const TICKS = 100;

export interface ProcStat {
  /** the command, cut by the kernel to its first 15 characters */
  comm: string;
  /** process group: a child started detached leads its own, and what it forks stays in it */
  pgrp: number;
  /** user + system CPU time, seconds (a process's counts every thread of it) */
  cpuSeconds: number;
}

/** One /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat: "pid (comm) state ppid pgrp …". */
export function parseStat(stat: string): ProcStat {
  // The command may hold spaces and parentheses: the fields start after its last ')'.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), pgrp: Number(fields[2]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS };
}

/** Every process of the machine now. Throws where there is no /proc. */
export function processStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      out.push(parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The machine's CPU time so far, every CPU together, ticks: user nice system idle iowait irq softirq steal. */
function machineTicks(): number[] {
  const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return ticks.slice(0, 8);
}

/** Busy time of every CPU of the machine, seconds (idle and iowait left out). */
export function machineBusySeconds(): number {
  return machineTicks().reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0) / TICKS;
}

/**
 * Time the hypervisor ran something else on this virtual machine's CPUs (steal), and all
 * time, seconds: on a shared host, a share of steal during a run is CPU it did not get.
 */
export function machineStealSeconds(): { steal: number; total: number } {
  const ticks = machineTicks();
  return { steal: ticks[7]! / TICKS, total: ticks.reduce((sum, t) => sum + t, 0) / TICKS };
}
