import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

const PROGRAMS = ["postgres", "workerd", "node"];

/** Each running process of the programs measured, with its /proc/<pid>/`file` (Linux; none elsewhere). */
function* processFiles(file: "stat" | "status"): Generator<{ program: string; text: string }> {
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return;
  }
  for (const pid of pids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/${file}`, "utf8");
    } catch {
      continue; // the process ended
    }
    const name = file === "stat" ? text.slice(text.indexOf("(") + 1, text.lastIndexOf(")")) : (/^Name:\s+(\S+)/m.exec(text)?.[1] ?? "");
    const program = PROGRAMS.find((p) => name.startsWith(p));
    if (program) yield { program, text };
  }
}

/**
 * CPU time used so far by each program on this machine (Linux /proc; empty elsewhere), in ms: Postgres'
 * backends together, workerd (the Worker and its Durable Objects), node (this bench and the local Neon endpoint).
 */
export function cpuByProgram(): Map<string, number> {
  const used = new Map<string, number>();
  for (const { program, text } of processFiles("stat")) {
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
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
  for (const { program, text } of processFiles("status")) {
    const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(text)?.[1]);
    if (Number.isFinite(kb)) largest.set(program, Math.max(largest.get(program) ?? 0, kb / 1024));
  }
  return largest;
}
