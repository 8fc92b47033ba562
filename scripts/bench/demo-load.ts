import { join } from "node:path";
import autocannon from "autocannon";
import { generateLocalSecrets } from "../lib/local-secrets";
import { startLocalStack } from "../lib/local-stack";
import { DEMO_PASSWORD, SEED_TENANTS } from "../lib/seed-data";
import { cpuByProgram } from "./process-cpu";

/** The rate limits a bench run raises for itself: the load is measured, not refused. */
export const UNLIMITED = {
  RATE_LIMIT_USER_PER_MINUTE: "100000000",
  RATE_LIMIT_USER_PER_HOUR: "100000000",
  RATE_LIMIT_IP_PER_MINUTE: "100000000",
};

/** A throw-away local stack in `work` (embedded Postgres, migrations, demo data) with fresh secrets. */
export async function startBenchStack(work: string) {
  const secrets = await generateLocalSecrets();
  const stack = await startLocalStack({
    dataDir: join(work, "postgres"),
    persistent: false,
    claimsKey: secrets.DB_CLAIMS_KEY!,
    seed: { pinPepper: secrets.PIN_PEPPER!, dataKek: secrets.DATA_KEK! },
  });
  return { secrets, stack };
}

/** Authenticated load is spread over every demo user, as real traffic is spread over many users' objects. */
export const BENCH_USERS = SEED_TENANTS.flatMap((tenant) => tenant.people.map((person) => ({ tenant: tenant.slug, person })));

/** Signs every demo user in (from one address): their access tokens, and each login's time in ms. */
export async function signInDemoUsers(base: string): Promise<{ tokens: string[]; loginTimes: number[] }> {
  const tokens: string[] = [];
  const loginTimes: number[] = [];
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
  return { tokens, loginTimes };
}

export interface Sample {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** workerd's CPU time per request (µs): steadier than req/s on a machine shared with the load generator. */
  cpuUs: number | null;
}

/** Closed-loop load against one path; with `tokens`, each request carries the next token in turn. */
export async function loadPath(
  url: string,
  options: { seconds: number; connections: number; tokens?: string[] },
): Promise<Sample & { total: number }> {
  const tokens = options.tokens ?? [];
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
  const cpuBefore = cpuByProgram().get("workerd");
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    pipelining: 1,
    ...(requests ? { requests } : {}),
  });
  const cpuAfter = cpuByProgram().get("workerd");
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    total: result.requests.sent,
    cpuUs: cpuBefore === undefined || cpuAfter === undefined ? null : ((cpuAfter - cpuBefore) * 1000) / result.requests.sent,
  };
}
