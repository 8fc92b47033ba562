/**
 * `npm run dev`: a real PostgreSQL (embedded, data in .data/postgres), migrations, demo data, the local
 * stand-in for Neon's HTTP endpoint, then `wrangler dev` with local Durable Objects and KV. Offline.
 * With DATABASE_URL set, that database is used instead (migrated and seeded only if MIGRATION_DATABASE_URL
 * is set too). Ctrl-C stops every child process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { installClaimsKeys, parseClaimsKey } from "./lib/claims-keys";
import { generateLocalSecrets } from "./lib/local-secrets";
import { type LocalStack, startLocalStack } from "./lib/local-stack";
import { migrateUp } from "./lib/migrator";
import { offlineWranglerEnv } from "./lib/offline-env";
import { seedDatabase } from "./lib/seed";
import { ACME, DEMO_PASSWORD, DEMO_PIN } from "./lib/seed-data";
import { type LocalNeon, startLocalNeon } from "./local-neon/server";

const PROJECT = resolve(import.meta.dirname, "..");
/** Git-ignored; LEAVE_LEDGER_DATA_DIR moves it (the dev-server test runs in a temporary directory). */
const DATA = resolve(process.env.LEAVE_LEDGER_DATA_DIR ?? resolve(PROJECT, ".data"));
const PORT = Number(process.env.PORT ?? 8787);
const READY_TIMEOUT_MS = 60_000;

const say = (line: string) => console.log(`[dev] ${line}`);

/** Generated once and kept in .data/dev-secrets.json, so tokens and PIN hashes survive restarts. */
async function devSecrets(): Promise<Record<string, string>> {
  const file = resolve(DATA, "dev-secrets.json");
  const kept = existsSync(file) ? (JSON.parse(await readFile(file, "utf8")) as Record<string, string>) : {};
  const secrets = { ...(await generateLocalSecrets()), ...kept };
  if (Object.keys(secrets).length !== Object.keys(kept).length) await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no answer from ${url} within ${READY_TIMEOUT_MS / 1000} s`);
}

let stack: LocalStack | undefined;
let neon: LocalNeon | undefined;
let wrangler: ChildProcess | undefined;
let stopping = false;

/** Stops wrangler (with workerd, in its process group), the Neon endpoint and Postgres, then exits. */
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say("stopping…");
  const pid = wrangler?.pid;
  if (pid && wrangler?.exitCode === null) {
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      try {
        process.kill(-pid, signal);
      } catch {
        break; // already gone
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  await neon?.close();
  await stack?.stop();
  process.exit(code);
}

async function main(): Promise<void> {
  await mkdir(DATA, { recursive: true });
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  const secrets = await devSecrets();
  let databaseUrl = process.env.DATABASE_URL;
  let neonEndpoint: string | undefined;

  if (databaseUrl) {
    say("DATABASE_URL is set: using that database instead of the embedded one");
    const migrationUrl = process.env.MIGRATION_DATABASE_URL;
    if (migrationUrl) {
      const claimsKey = parseClaimsKey(secrets.DB_CLAIMS_KEY);
      await migrateUp(migrationUrl, {
        log: (line) => say(`migrations: ${line}`),
        beforeRepeatables: async () => void (await installClaimsKeys(migrationUrl, [claimsKey])),
      });
      await seedDatabase(migrationUrl, { pinPepper: secrets.PIN_PEPPER!, claimsKey, dataKek: secrets.DATA_KEK! });
    } else {
      say("MIGRATION_DATABASE_URL is not set: that database must already hold this DB_CLAIMS_KEY (npm run db:claims-key -- install)");
    }
    if (!new URL(databaseUrl).hostname.endsWith(".neon.tech")) {
      neon = await startLocalNeon({ log: say });
      neonEndpoint = neon.url;
    }
  } else {
    say(`starting PostgreSQL (data in ${resolve(DATA, "postgres")})…`);
    stack = await startLocalStack({
      dataDir: resolve(DATA, "postgres"),
      persistent: true,
      claimsKey: secrets.DB_CLAIMS_KEY!,
      seed: { pinPepper: secrets.PIN_PEPPER!, dataKek: secrets.DATA_KEK! },
      log: say,
    });
    databaseUrl = stack.workerDatabaseUrl;
    neonEndpoint = stack.neon.url;
    say(`PostgreSQL on 127.0.0.1:${stack.postgres.port}, local Neon endpoint ${neonEndpoint}`);
  }

  const vars: Record<string, string> = { ...secrets, DATABASE_URL: databaseUrl };
  if (neonEndpoint) vars.NEON_FETCH_ENDPOINT = neonEndpoint;
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(PORT),
    "--local",
    "--persist-to",
    resolve(DATA, "wrangler-state"),
    "--show-interactive-dev-session=false",
    // The daily Cron Trigger on demand: GET /__scheduled?cron=5+0+*+*+*
    "--test-scheduled",
    ...Object.entries(vars).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
  ];
  wrangler = spawn(resolve(PROJECT, "node_modules/.bin/wrangler"), args, {
    cwd: PROJECT,
    env: offlineWranglerEnv(PROJECT),
    stdio: ["ignore", "inherit", "inherit"],
    detached: true, // its own process group, so workerd dies with it
  });

  wrangler.on("exit", (code) => void stop(code ?? 1));

  const base = `http://127.0.0.1:${PORT}`;
  await waitForHealth(`${base}/health`, wrangler);
  console.log(`
  Leave Ledger is running at ${base}

    curl ${base}/health
    curl ${base}/health/ready
    curl ${base}/v1/tenants/${ACME.slug}
    ${base}/docs                  (API reference; the OpenAPI document is at /v1/openapi.json)

  Demo tenant "${ACME.slug}", password "${DEMO_PASSWORD}" for everyone, kiosk PIN ${DEMO_PIN}:
    ${ACME.people.map((p) => `${p.email} (${p.roles.join(", ")})`).join("\n    ")}

    curl -s -X POST ${base}/v1/auth/login -H 'Content-Type: application/json' \\
      -d '{"tenant":"${ACME.slug}","email":"${ACME.people[3]!.email}","password":"${DEMO_PASSWORD}"}'
    curl ${base}/v1/me -H "Authorization: Bearer <access_token>"
    curl ${base}/v1/me/balances -H "Authorization: Bearer <access_token>"
    curl "${base}/__scheduled?cron=5+0+*+*+*"   (run the daily job now: expiries, accruals)

  Webhooks, signed, through the local queue (docs/integrations.md). Sign in as ${ACME.people[0]!.email}, then:
    curl -s -X POST ${base}/v1/webhooks/subscriptions -H "Authorization: Bearer <access_token>" \
      -H 'Content-Type: application/json' -d '{"url":"http://127.0.0.1:8789/hooks"}'
    WEBHOOK_SECRET=<secret from that answer> npm run webhook:receiver   (in another terminal)
  Submit, approve or cancel a request: the receiver prints each event, its signature verified, within seconds.

  Kill switches (docs/operations.md), offline in the local flag store; writes answer 503 within 10 s:
    curl -X POST ${base}/cdn-cgi/local/explorer/api/flagship/apps/leave-ledger-local/flags -H 'Content-Type: application/json' \\
      -d '{"key":"maintenance-mode","enabled":true,"variations":{"on":true,"off":false},"default_variation":"on","rules":[]}'
`);
}

main().catch((error: unknown) => {
  console.error(`[dev] failed: ${(error as Error).message}`);
  void stop(1);
});
