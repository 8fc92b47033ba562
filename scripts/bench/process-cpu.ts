import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time used so far by each program on this machine (Linux /proc; empty elsewhere), in ms: Postgres'
 * backends together, workerd (the Worker and its Durable Objects), node (this bench and the local Neon endpoint).
 */
export function cpuByProgram(): Map<string, number> {
  const used = new Map<string, number>();
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return used;
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // the process ended
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const program = ["postgres", "workerd", "node"].find((p) => name.startsWith(p));
    if (!program) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
    used.set(program, (used.get(program) ?? 0) + (ticks * 1000) / TICKS_PER_SECOND);
  }
  return used;
}

/** CPU ms per unit of work between two readings, e.g. "postgres 7.5, workerd 6.9, node 3.4 ms". */
export function cpuPerUnit(before: Map<string, number>, after: Map<string, number>, units: number): string {
  if (after.size === 0 || units === 0) return "not measured (no /proc)";
  return [...after]
    .map(([program, ms]) => `${program} ${((ms - (before.get(program) ?? 0)) / units).toFixed(1)}`)
    .join(", ")
    .concat(" ms");
}

/** Resident memory of each program's largest process right now (Linux /proc; empty elsewhere), in MB. */
export function residentMbByProgram(): Map<string, number> {
  const largest = new Map<string, number>();
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return largest;
  }
  for (const pid of pids) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, "utf8");
    } catch {
      continue; // the process ended
    }
    const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? "";
    const program = ["postgres", "workerd", "node"].find((p) => name.startsWith(p));
    const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
    if (!program || !Number.isFinite(kb)) continue;
    largest.set(program, Math.max(largest.get(program) ?? 0, kb / 1024));
  }
  return largest;
}
