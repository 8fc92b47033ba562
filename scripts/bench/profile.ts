/**
 * `npm run bench:profile`: where the Worker's CPU goes on one path under the bench's load. Builds a readable
 * (unminified) bundle of the app and of the stage worker, runs them in workerd with its DevTools inspector open,
 * loads BENCH_PROFILE_PATH (default: the authenticated path, signed in as every demo user) for
 * BENCH_PROFILE_SECONDS, and samples the CPU of the isolate serving it. Prints the functions with the most self
 * time, each with the source file it was bundled from, and writes the `.cpuprofile` (Chrome DevTools, Performance
 * panel, loads it).
 *
 * The inspector slows the isolate down (console output is sent to it too): read shares of the time, not req/s.
 */

import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBundle, startBundle } from "../lib/bundle";
import { freePort } from "../lib/embedded-postgres";
import { loadPath, signInDemoUsers, startBenchStack, UNLIMITED } from "./demo-load";

const PATH = process.env.BENCH_PROFILE_PATH ?? "/v1/me/permissions";
const SECONDS = Number(process.env.BENCH_PROFILE_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SAMPLING_INTERVAL_US = 100;
const TOP = 30;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

/** A DevTools protocol session with one inspector target. */
async function inspect(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let lastId = 0;
  const pending = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  return {
    send: <T>(method: string, params: object = {}) =>
      new Promise<T>((resolve) => {
        const id = ++lastId;
        pending.set(id, resolve as (result: unknown) => void);
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/** Self time per function, with the module esbuild's `// path` comment above its line names. */
function selfTimes(profile: CpuProfile, bundle: string): { share: number; name: string }[] {
  const lines = bundle.split("\n");
  const moduleAt: string[] = [];
  let current = "";
  for (const [index, line] of lines.entries()) {
    const comment = /^\/\/ ((?:src|node_modules|scripts)\/\S+)$/.exec(line);
    if (comment) current = comment[1]!;
    moduleAt[index] = current;
  }
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const ticks = new Map<string, number>();
  for (const id of profile.samples) {
    const { functionName, url, lineNumber } = byNode.get(id)!.callFrame;
    const where = url.endsWith(".js") ? (moduleAt[lineNumber] ?? url) : "(runtime)";
    const name = `${functionName || "(anonymous)"}  ${where}`;
    ticks.set(name, (ticks.get(name) ?? 0) + 1);
  }
  return [...ticks].map(([name, count]) => ({ name, share: count / profile.samples.length })).sort((a, b) => b.share - a.share);
}

async function main() {
  const work = await mkdtemp(join(tmpdir(), "leave-ledger-profile-"));
  await chmod(work, 0o755); // Postgres runs as its own user and must reach its data directory
  const stagesWorker = PATH.startsWith("/stage/");
  console.log(`building readable bundles, then profiling ${PATH} for ${SECONDS} s…`);
  await buildBundle(join(work, "dist"), "", undefined, { minify: false });
  await buildBundle(join(work, "stages"), "", "scripts/bench/stages-worker.ts", { minify: false });
  const { secrets, stack } = await startBenchStack(work);
  const inspectorPort = await freePort();
  const worker = await startBundle({
    bundleDir: join(work, "dist"),
    stack,
    secrets: { ...secrets, ...UNLIMITED },
    stagesScriptPath: join(work, "stages", "stages-worker.js"),
    inspectorPort,
  });
  try {
    const { tokens } = await signInDemoUsers(worker.url);
    const url = worker.url + PATH;
    const first = await fetch(url, { headers: { Authorization: `Bearer ${tokens[0]}` } });
    if (!first.ok) throw new Error(`${PATH} answered ${first.status}`);
    await loadPath(url, { seconds: 2, connections: CONNECTIONS, tokens }); // warm-up

    const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
      id: string;
      webSocketDebuggerUrl: string;
    }[];
    const serving = targets.find((t) => t.id === (stagesWorker ? "core:user:stages" : "core:user:api"));
    if (!serving) throw new Error(`no inspector target for the worker serving ${PATH}: ${targets.map((t) => t.id).join(", ")}`);
    const session = await inspect(serving.webSocketDebuggerUrl);
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: SAMPLING_INTERVAL_US });
    await session.send("Profiler.start");
    const run = await loadPath(url, { seconds: SECONDS, connections: CONNECTIONS, tokens });
    const { profile } = await session.send<{ profile: CpuProfile }>("Profiler.stop");
    session.close();

    const file = join(tmpdir(), `leave-ledger${PATH.replace(/\W+/g, "-")}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    const bundle = await readFile(join(work, stagesWorker ? "stages/stages-worker.js" : "dist/index.js"), "utf8");
    console.log(`\n${run.total} requests (${run.errors} failed), ${profile.samples.length} samples; self time, top ${TOP}:\n`);
    for (const { name, share } of selfTimes(profile, bundle).slice(0, TOP))
      console.log(`${(share * 100).toFixed(1).padStart(5)} %  ${name}`);
    console.log(`\nthe whole profile: ${file}`);
    if (run.errors > 0) process.exitCode = 1;
  } finally {
    await worker.dispose();
    await stack.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
