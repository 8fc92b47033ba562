/**
 * `npm run bench`: builds the production bundle, starts it in workerd (Miniflare) next to a bare Hono
 * Worker, with the local Postgres and Neon endpoint behind it, and measures each path under the same load
 * in interleaved rounds. Prints throughput and p50/p99 per path and the ratio to the bare route, all from
 * this one run: absolute numbers vary by machine, ratios are what to compare.
 */

import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import { build } from "esbuild";
import { PBKDF2_ITERATIONS } from "../src/auth/secrets";
import { claimsCheckCost } from "./bench/claims-cost";
import { ledgerBench } from "./bench/ledger-bench";
import { sloBench } from "./bench/slo-bench";
import { buildBundle, startBundle } from "./lib/bundle";
import { generateLocalSecrets } from "./lib/local-secrets";
import { type LocalStack, startLocalStack } from "./lib/local-stack";
import { DEMO_PASSWORD, SEED_TENANTS } from "./lib/seed-data";

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
/** Authenticated load is spread over every demo user, as real traffic is spread over many users' objects. */
const BENCH_USERS = SEED_TENANTS.flatMap((tenant) => tenant.people.map((person) => ({ tenant: tenant.slug, person })));

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Runs load against one path; with `tokens`, each request carries the next token in turn. */
async function measure(url: string, seconds: number, tokens: string[] = []): Promise<Sample & { total: number }> {
  let turn = 0;
  const requests = tokens.length
    ? [
        {
          setupRequest: (request: autocannon.Request) => ({
            ...request,
            headers: { ...request.headers, authorization: `Bearer ${tokens[turn++ % tokens.length]}` },
          }),
        },
      ]
    : undefined;
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, pipelining: 1, ...(requests ? { requests } : {}) });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    total: result.requests.sent,
  };
}

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
  const loginTimes: number[] = [];
  const tokens: string[] = [];
  for (const { tenant, person } of BENCH_USERS) {
    const started = performance.now();
    const login = await fetch(`${base}/v1/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": "127.0.0.2" },
      body: JSON.stringify({ tenant, email: person.email, password: DEMO_PASSWORD }),
    });
    loginTimes.push(performance.now() - started);
    if (!login.ok) throw new Error(`login of ${person.email} answered ${login.status}`);
    tokens.push(((await login.json()) as { access_token: string }).access_token);
  }
  const tokensFor = (t: Target) => (t.authenticated ? tokens : []);

  const authenticatedRequests = { sent: 0 };
  const count = (t: Target, n: number) => {
    if (t === AUTHENTICATED) authenticatedRequests.sent += n;
  };
  for (const target of TARGETS) {
    const res = await fetch(base + target.path, { headers: target.authenticated ? { Authorization: `Bearer ${tokens[0]}` } : {} });
    if (!res.ok) throw new Error(`${target.path} answered ${res.status}`);
    count(target, 1);
    count(target, (await measure(base + target.path, 1, tokensFor(target))).total); // warm-up
  }
  const samples = new Map<string, Sample[]>(TARGETS.map((t) => [t.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? TARGETS : [...TARGETS].reverse();
    for (const target of order) {
      const sample = await measure(base + target.path, SECONDS, tokensFor(target));
      count(target, sample.total);
      samples.get(target.name)!.push(sample);
    }
  }
  let hourly = 0;
  for (const { person } of BENCH_USERS) {
    hourly += (await worker.limiterCounts(`user:${person.userId}`)).find((c) => c.windowSeconds === 3600)?.count ?? 0;
  }

  const summary = TARGETS.map((t) => {
    const s = samples.get(t.name)!;
    return {
      name: t.name,
      rps: median(s.map((x) => x.rps)),
      p50: median(s.map((x) => x.p50)),
      p99: median(s.map((x) => x.p99)),
      errors: s.reduce((a, x) => a + x.errors, 0),
    };
  });
  const bareRps = summary[0]!.rps;
  console.log(`\n${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s per path (medians)\n`);
  console.log(`${"path".padEnd(40)}   req/s   p50 ms   p99 ms   errors   ratio to bare`);
  for (const s of summary) {
    console.log(
      `${s.name.padEnd(40)} ${s.rps.toFixed(0).padStart(7)} ${s.p50.toFixed(1).padStart(8)} ${s.p99.toFixed(1).padStart(8)} ${String(s.errors).padStart(8)}   ${(s.rps / bareRps).toFixed(2)}`,
    );
  }
  const authenticated = summary.find((s) => s.name === AUTHENTICATED.name)!;
  console.log(
    `\nauthenticated ratio (${AUTHENTICATED.path} to the bare route): ${(authenticated.rps / bareRps).toFixed(2)}, target ≥ ${AUTHENTICATED_RATIO_TARGET.toFixed(2)}`,
  );
  console.log(
    `Durable Object round trips per authenticated request: ${(hourly / authenticatedRequests.sent).toFixed(3)} (${hourly} counted by the object / ${authenticatedRequests.sent} sent)`,
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

  const secrets = await generateLocalSecrets();
  const stack = await startLocalStack({
    dataDir: join(work, "postgres"),
    persistent: false,
    claimsKey: secrets.DB_CLAIMS_KEY!,
    seed: { pinPepper: secrets.PIN_PEPPER!, dataKek: secrets.DATA_KEK! },
  });
  // The bench user must not be rate-limited: the limits are raised for this run only.
  const unlimited = {
    RATE_LIMIT_USER_PER_MINUTE: "100000000",
    RATE_LIMIT_USER_PER_HOUR: "100000000",
    RATE_LIMIT_IP_PER_MINUTE: "100000000",
  };
  const worker = await startBundle({
    bundleDir: dist,
    stack,
    secrets: { ...secrets, ...unlimited },
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
