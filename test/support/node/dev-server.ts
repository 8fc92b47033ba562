/** `npm run dev` as a newcomer runs it, started and stopped by tests on a free port with its own data folder. */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../../../scripts/lib/embedded-postgres";

const PROJECT = resolve(import.meta.dirname, "../../..");
export const STARTUP_LIMIT_MS = 60_000;

export interface DevServer {
  base: string;
  dataDir: string;
  port: number;
  start(): ChildProcess;
  /** Processes of this dev server still running (by its data folder or its port). */
  leftovers(): string[];
  dispose(): Promise<void>;
}

export async function devServer(): Promise<DevServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "leave-ledger-dev-"));
  await chmod(dataDir, 0o755);
  const port = await freePort();
  return {
    base: `http://127.0.0.1:${port}`,
    dataDir,
    port,
    start: () =>
      spawn("npm", ["run", "dev"], {
        cwd: PROJECT,
        env: { ...process.env, PORT: String(port), LEAVE_LEDGER_DATA_DIR: dataDir, DATABASE_URL: "" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      }),
    leftovers: () =>
      execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" })
        .split("\n")
        .filter((line) => line.includes(dataDir) || line.includes(`127.0.0.1:${port}`)),
    dispose: () => rm(dataDir, { recursive: true, force: true }),
  };
}

export async function waitFor(url: string, child: ChildProcess, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${limitMs} ms`);
}

/** Ctrl-C as a terminal sends it: SIGINT to the whole process group. */
export async function ctrlC(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  process.kill(-child.pid!, "SIGINT");
  await exited;
  await new Promise((r) => setTimeout(r, 1_000)); // let grandchildren finish exiting
}
