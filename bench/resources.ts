/**
 * Memory and CPU of this process (everything tokenpay runs in-process: API, worker, simulator,
 * load generator) and of the service processes the bench started (Temporal dev server,
 * FerretDB), read from /proc. CPU is split per phase so the report can say where time goes.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface TrackedProcess {
  name: string;
  pid: number | undefined;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time (user + system, ms) of a process from /proc, undefined when unreadable. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces: fields after the last ')' start at field 3
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]); // field 14
    const stime = Number(fields[12]); // field 15
    return ((utime + stime) / ticksPerSecond()) * 1000;
  } catch {
    return undefined;
  }
}

/** Resident set size in bytes from /proc/<pid>/status, undefined when unreadable. */
export function processRssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
}

export function memorySample(): MemorySample {
  const m = process.memoryUsage();
  return { rssMb: m.rss / 2 ** 20, heapUsedMb: m.heapUsed / 2 ** 20 };
}

/** CPU ms per tracked process (and "bench" for this one, all its threads) at one instant. */
export type CpuSnapshot = Record<string, number>;

export class CpuMeter {
  constructor(private readonly others: () => TrackedProcess[]) {}

  snapshot(): CpuSnapshot {
    const usage = process.cpuUsage();
    const snap: CpuSnapshot = { 'bench process': (usage.user + usage.system) / 1000 };
    for (const p of this.others()) {
      if (p.pid === undefined) continue;
      const ms = processCpuMs(p.pid);
      if (ms !== undefined) snap[p.name] = ms;
    }
    return snap;
  }

  /** CPU ms spent between two snapshots, per process. */
  static diff(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
    const out: CpuSnapshot = {};
    for (const [name, ms] of Object.entries(after)) {
      if (before[name] !== undefined) out[name] = ms - before[name]!;
    }
    return out;
  }
}
