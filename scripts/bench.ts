/**
 * `npm run bench`: builds the production bundle, starts it in workerd (Miniflare) next to a bare Hono
 * Worker, with the local Postgres and Neon endpoint behind it, and measures each path under the same load
 * in interleaved rounds. Prints throughput and p50/p99 per path and the ratio to the bare route, all from
 * this one run: absolute numbers vary by machine, ratios are what to compare.
 */

import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { PBKDF2_ITERATIONS } from "../src/auth/secrets";
import { claimsCheckCost } from "./bench/claims-cost";
import { BENCH_USERS, loadPath, type Sample, signInDemoUsers, startBenchStack, UNLIMITED } from "./bench/demo-load";
import { ledgerBench } from "./bench/ledger-bench";
import { sloBench } from "./bench/slo-bench";
import { buildBundle, startBundle } from "./lib/bundle";
import type { LocalStack } from "./lib/local-stack";

const PROJECT = resolve(import.meta.dirname, "..");
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/**
 * `BENCH_ONLY=paths` measures only the edge paths and the authenticated path's decomposition; `submissions` only
 * the leave submissions (for work on the write path); `scale` only the 50 000-employee tenant (accruals, who is
 * out, the directory, the tenant export); `slo` only the fixed-arrival-rate SLO.
 */
const ONLY = ((only) => {
  if (only === undefined) return null;
  if (only === "paths" || only === "submissions" || only === "scale" || only === "slo") return only;
  throw new Error(`BENCH_ONLY=${only}: expected paths, submissions, scale or slo`);
})(process.env.BENCH_ONLY);
/** The authenticated path's share of the bare route's throughput that this step of the work aims at. */
const AUTHENTICATED_RATIO_TARGET = 0.4;

interface Target {
  name: string;
  path: string;
  /** Sends the demo user's access token. */
  authenticated?: boolean;
}
/** Later features add their paths here; every one is compared with the bare route. */
const TARGETS: Target[] = [
  { name: "bare Hono route", path: "/bare" },
  { name: "GET /health", path: "/health" },
  // The authenticated path stage by stage (scripts/bench/stages-worker.ts), then whole.
  { name: "  edge pipeline alone", path: "/stage/pipeline" },
  { name: "  + token verified", path: "/stage/verified", authenticated: true },
  { name: "  + Durable Object call", path: "/stage/counted", authenticated: true },
  { name: "GET /v1/me/permissions (auth, cached)", path: "/v1/me/permissions", authenticated: true },
];
const AUTHENTICATED = TARGETS.at(-1)!;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** PBKDF2-SHA256 cost per derivation at several iteration counts (WebCrypto, this machine). */
async function hashingCost(): Promise<string[]> {
  const lines = [];
  for (const iterations of [10_000, 50_000, 100_000]) {
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("benchmark password"), "PBKDF2", false, ["deriveBits"]);
    const started = performance.now();
    const runs = 20;
    for (let i = 0; i < runs; i++) {
      await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: new Uint8Array(16), iterations }, key, 256);
    }
    lines.push(
      `PBKDF2-SHA256 ${String(iterations).padStart(7)} iterations: ${((performance.now() - started) / runs).toFixed(1)} ms per hash${iterations === PBKDF2_ITERATIONS ? "  ← used (Cloudflare's maximum)" : ""}`,
    );
  }
  return lines;
}

/** The edge paths against the bare route, logins, hashing and the claims check: the failed requests and the bare route's req/s. */
async function pathsBench(
  base: string,
  worker: Awaited<ReturnType<typeof startBundle>>,
  stack: LocalStack,
  secrets: Record<string, string>,
): Promise<{ errors: number; bareRps: number }> {
  const { tokens, loginTimes } = await signInDemoUsers(base);
  const tokensFor = (t: Target) => (t.authenticated ? tokens : []);

  const authenticatedRequests = { sent: 0 };
  // The objects' hourly windows hold the count: a run across the turn of an hour cannot be compared.
  const hourOf = (ms: number) => Math.floor(ms / 3_600_000);
  const startHour = hourOf(Date.now());
  const count = (t: Target, n: number) => {
    if (t === AUTHENTICATED) authenticatedRequests.sent += n;
  };
  for (const target of TARGETS) {
    const res = await fetch(base + target.path, { headers: target.authenticated ? { Authorization: `Bearer ${tokens[0]}` } : {} });
    if (!res.ok) throw new Error(`${target.path} answered ${res.status}`);
    count(target, 1);
    count(target, (await loadPath(base + target.path, { seconds: 1, connections: CONNECTIONS, tokens: tokensFor(target) })).total); // warm-up
  }
  const samples = new Map<string, Sample[]>(TARGETS.map((t) => [t.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? TARGETS : [...TARGETS].reverse();
    for (const target of order) {
      const sample = await loadPath(base + target.path, { seconds: SECONDS, connections: CONNECTIONS, tokens: tokensFor(target) });
      count(target, sample.total);
      samples.get(target.name)!.push(sample);
    }
  }
  let hourly = 0;
  for (const { person } of BENCH_USERS) {
    hourly += (await worker.limiterCounts(`user:${person.userId}`)).find((c) => c.windowSeconds === 3600)?.count ?? 0;
  }
  const countedInOneHour = hourOf(Date.now()) === startHour;

  const summary = TARGETS.map((t) => {
    const s = samples.get(t.name)!;
    return {
      name: t.name,
      rps: median(s.map((x) => x.rps)),
      p50: median(s.map((x) => x.p50)),
      p99: median(s.map((x) => x.p99)),
      errors: s.reduce((a, x) => a + x.errors, 0),
      cpuUs: s.every((x) => x.cpuUs !== null) ? median(s.map((x) => x.cpuUs!)) : null,
    };
  });
  const bareRps = summary[0]!.rps;
  console.log(`\n${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s per path (medians)\n`);
  const bareCpu = summary[0]!.cpuUs;
  console.log(`${"path".padEnd(40)}   req/s   p50 ms   p99 ms   errors   ratio to bare   workerd µs/req   ratio`);
  for (const s of summary) {
    const cpu =
      s.cpuUs === null || bareCpu === null
        ? "not measured (no /proc)"
        : `${s.cpuUs.toFixed(0).padStart(14)}   ${(bareCpu / s.cpuUs).toFixed(2)}`;
    console.log(
      `${s.name.padEnd(40)} ${s.rps.toFixed(0).padStart(7)} ${s.p50.toFixed(1).padStart(8)} ${s.p99.toFixed(1).padStart(8)} ${String(s.errors).padStart(8)}   ${(s.rps / bareRps).toFixed(2).padStart(13)}   ${cpu}`,
    );
  }
  const authenticated = summary.find((s) => s.name === AUTHENTICATED.name)!;
  console.log(
    `\nauthenticated ratio (${AUTHENTICATED.path} to the bare route): ${(authenticated.rps / bareRps).toFixed(2)}, target ≥ ${AUTHENTICATED_RATIO_TARGET.toFixed(2)}`,
  );
  console.log(
    countedInOneHour
      ? `Durable Object round trips per authenticated request: ${(hourly / authenticatedRequests.sent).toFixed(3)} (${hourly} counted by the object / ${authenticatedRequests.sent} sent)`
      : "Durable Object round trips per authenticated request: not counted, the hour turned during the run (the objects count by the hour)",
  );
  console.log(
    `login (PBKDF2 + 3 Durable Object calls + 2 database round trips), median of ${loginTimes.length}: ${median(loginTimes).toFixed(0)} ms`,
  );
  for (const line of await hashingCost()) console.log(line);
  for (const line of await claimsCheckCost(stack, secrets.DB_CLAIMS_KEY!)) console.log(line);
  return { errors: summary.reduce((a, s) => a + s.errors, 0), bareRps };
}

async function main() {
  const work = await mkdtemp(join(tmpdir(), "leave-ledger-bench-"));
  await chmod(work, 0o755);
  console.log("building the production bundle and the bare worker…");
  const dist = join(work, "dist");
  await buildBundle(dist, "");
  const stages = join(work, "stages");
  await buildBundle(stages, "", "scripts/bench/stages-worker.ts");
  const bare = join(work, "bare", "bare.js");
  await build({
    entryPoints: [resolve(PROJECT, "scripts/bench/bare-worker.ts")],
    bundle: true,
    format: "esm",
    minify: true,
    outfile: bare,
    platform: "neutral",
  });

  const { secrets, stack } = await startBenchStack(work);
  const worker = await startBundle({
    bundleDir: dist,
    stack,
    secrets: { ...secrets, ...UNLIMITED },
    extraWorkers: [{ name: "bare", scriptPath: bare, routes: ["*/bare"] }],
    stagesScriptPath: join(stages, "stages-worker.js"),
  });
  try {
    const base = worker.url;
    const runs = (part: "paths" | "ledger" | "slo") =>
      ONLY === null || ONLY === part || (part === "ledger" && (ONLY === "submissions" || ONLY === "scale"));
    const paths = runs("paths") ? await pathsBench(base, worker, stack, secrets) : { errors: 0, bareRps: null };
    let errors = paths.errors;
    if (runs("ledger")) {
      console.log("\npreparing the ledger benchmarks (a tenant of 52 employees, 100 000 entries of history)…");
      const ledger = await ledgerBench({
        base,
        stack,
        pinPepper: secrets.PIN_PEPPER!,
        connections: CONNECTIONS,
        seconds: SECONDS,
        rounds: ROUNDS,
        only: ONLY === "submissions" || ONLY === "scale" ? ONLY : null,
        bareRps: paths.bareRps,
      });
      console.log(`\n${ledger.lines.join("\n")}`);
      errors += ledger.errors;
    }
    if (runs("slo")) {
      console.log("\nthe SLO at a fixed arrival rate (a tenant of 210 people, then grown: BENCH_SLO_SIZES)…");
      const slo = await sloBench({ base, stack, pinPepper: secrets.PIN_PEPPER! });
      console.log(`\n${slo.lines.join("\n")}`);
      errors += slo.errors;
    }
    if (errors > 0) {
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
