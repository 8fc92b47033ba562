/**
 * Checks a deployment's configuration before `wrangler deploy`: the [vars] of the chosen wrangler
 * environment plus the secrets, taken from this process's environment (as a CI job holding them would
 * run it), validated by the same schema the Worker uses. Prints problems by variable name, never values.
 *
 *   DATABASE_URL=… PIN_PEPPER=… JWT_SIGNING_KEY=… DB_CLAIMS_KEY=… DATA_KEK=… SENTRY_DSN=… npm run check-config -- --env production
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parse } from "smol-toml";
import { DB_ROLES } from "../src/db/roles";
import { parseConfig } from "../src/kernel/config";

const PROJECT = resolve(import.meta.dirname, "..");
const SECRETS = [
  "DATABASE_URL",
  "PIN_PEPPER",
  "SENTRY_DSN",
  "JWT_SIGNING_KEY",
  "JWT_PREVIOUS_SIGNING_KEY",
  "DB_CLAIMS_KEY",
  "DATA_KEK",
  "DATA_KEK_PREVIOUS",
] as const;

interface WranglerEnvironment {
  vars?: Record<string, string>;
  kv_namespaces?: { binding: string; id?: string }[];
  durable_objects?: { bindings?: { name: string; class_name: string }[] };
  flagship?: { binding: string; app_id?: string }[];
  queues?: { producers?: { binding: string; queue: string }[]; consumers?: { queue: string }[] };
}

export function checkDeployment(toml: string, environment: string, secrets: Record<string, string | undefined>): string[] {
  const config = parse(toml) as WranglerEnvironment & { env?: Record<string, WranglerEnvironment> };
  const target = environment === "" ? config : config.env?.[environment];
  if (!target) return [`wrangler.toml has no [env.${environment}]`];
  const problems: string[] = [];

  const values: Record<string, unknown> = { ...target.vars };
  for (const name of SECRETS) if (secrets[name] !== undefined) values[name] = secrets[name];
  const result = parseConfig(values);
  if (!result.ok) for (const p of result.problems) problems.push(`${p.variable}: ${p.problem}`);
  const databaseUrl = typeof values.DATABASE_URL === "string" && URL.canParse(values.DATABASE_URL) ? new URL(values.DATABASE_URL) : null;
  if (databaseUrl && databaseUrl.username !== DB_ROLES.authenticator) {
    problems.push(`DATABASE_URL: must log in as ${DB_ROLES.authenticator} (a role without privileges of its own), not as an owner`);
  }

  const kv = target.kv_namespaces?.find((n) => n.binding === "PERMISSIONS_KV");
  if (!kv?.id || /REPLACE|local/i.test(kv.id))
    problems.push("PERMISSIONS_KV: set the namespace id (wrangler kv namespace create PERMISSIONS_KV)");
  if (!target.durable_objects?.bindings?.some((b) => b.name === "RATE_LIMITER"))
    problems.push("RATE_LIMITER: Durable Object binding missing");
  const flags = target.flagship?.find((f) => f.binding === "FLAGS");
  if (!flags?.app_id || /REPLACE|local/i.test(flags.app_id))
    problems.push("FLAGS: set the Flagship app id (Compute > Flagship in the dashboard)");
  for (const binding of ["WEBHOOKS", "WEBHOOK_DEAD_LETTERS"]) {
    const producer = target.queues?.producers?.find((p) => p.binding === binding);
    if (!producer || !target.queues?.consumers?.some((c) => c.queue === producer.queue))
      problems.push(`${binding}: queue producer and consumer missing`);
  }
  return problems;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename);
if (isMain) {
  const envIndex = process.argv.indexOf("--env");
  const environment = envIndex >= 0 ? (process.argv[envIndex + 1] ?? "") : "production";
  const toml = await readFile(resolve(PROJECT, "wrangler.toml"), "utf8");
  const problems = checkDeployment(toml, environment, process.env);
  if (problems.length) {
    console.error(`Configuration for "${environment}" is not deployable:`);
    for (const p of problems) console.error(`  - ${p}`);
    process.exit(1);
  }
  console.log(`Configuration for "${environment}" is valid.`);
}
