/**
 * `npm run bench`: builds the production bundle, starts it in workerd (Miniflare) next to a bare Hono
 * Worker, with the local Postgres and Neon endpoint behind it, and measures each path under the same load
 * in interleaved rounds. Prints throughput and p50/p99 per path and the ratio to the bare route, all from
 * this one run: absolute numbers vary by machine, ratios are what to compare.
 */
import autocannon from "autocannon";
import { build } from "esbuild";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildBundle, startBundle } from "./lib/bundle";
import { generateLocalSecrets } from "./lib/local-secrets";
import { startLocalStack } from "./lib/local-stack";

const PROJECT = resolve(import.meta.dirname, "..");
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Target {
  name: string;
  path: string;
}
/** Later features add their paths here; every one is compared with the bare route. */
const TARGETS: Target[] = [
  { name: "bare Hono route", path: "/bare" },
  { name: "GET /health", path: "/health" },
];

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(url: string, seconds: number): Promise<Sample> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, pipelining: 1 });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function main() {
  const work = await mkdtemp(join(tmpdir(), "leave-ledger-bench-"));
  await chmod(work, 0o755);
  console.log("building the production bundle and the bare worker…");
  const dist = join(work, "dist");
  await buildBundle(dist, "");
  const bare = join(work, "bare", "bare.js");
  await build({ entryPoints: [resolve(PROJECT, "scripts/bench/bare-worker.ts")], bundle: true, format: "esm", minify: true, outfile: bare, platform: "neutral" });

  const secrets = await generateLocalSecrets();
  const stack = await startLocalStack({ dataDir: join(work, "postgres"), persistent: false, seedWithPinPepper: secrets.PIN_PEPPER });
  const worker = await startBundle({ bundleDir: dist, stack, secrets, extraWorkers: [{ name: "bare", scriptPath: bare, routes: ["*/bare"] }] });
  try {
    const base = worker.url;
    for (const target of TARGETS) {
      const res = await fetch(base + target.path);
      if (!res.ok) throw new Error(`${target.path} answered ${res.status}`);
      await measure(base + target.path, 1); // warm-up
    }
    const samples = new Map<string, Sample[]>(TARGETS.map((t) => [t.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? TARGETS : [...TARGETS].reverse();
      for (const target of order) samples.get(target.name)!.push(await measure(base + target.path, SECONDS));
    }

    const summary = TARGETS.map((t) => {
      const s = samples.get(t.name)!;
      return { name: t.name, rps: median(s.map((x) => x.rps)), p50: median(s.map((x) => x.p50)), p99: median(s.map((x) => x.p99)), errors: s.reduce((a, x) => a + x.errors, 0) };
    });
    const bareRps = summary[0]!.rps;
    console.log(`\n${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s per path (medians)\n`);
    console.log("path                       req/s     p50 ms   p99 ms   errors   ratio to bare");
    for (const s of summary) {
      console.log(
        `${s.name.padEnd(24)} ${s.rps.toFixed(0).padStart(7)} ${s.p50.toFixed(1).padStart(9)} ${s.p99.toFixed(1).padStart(8)} ${String(s.errors).padStart(8)}   ${(s.rps / bareRps).toFixed(2)}`,
      );
    }
    if (summary.some((s) => s.errors > 0)) {
      console.error("\nsome requests failed: the figures above are not valid");
      process.exitCode = 1;
    }
  } finally {
    await worker.dispose();
    await stack.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
