import { sql } from "drizzle-orm";
import { systemCaller } from "../../db/claims";
import { runInDatabase } from "../../db/door";
import { loadConfig } from "../../kernel/config";
import { HEALTH_CHECK_TIMEOUT_MS } from "../../kernel/constants";
import type { Env } from "../../kernel/env";
import { AppError } from "../../kernel/errors";

export const CHECK_NAMES = ["config", "database", "kv", "durable_object"] as const;
export type CheckName = (typeof CHECK_NAMES)[number];
export type CheckResult =
  | { status: "ok"; duration_ms: number; [detail: string]: unknown }
  | { status: "fail"; duration_ms: number; error: string };

/** A key that is never written: reading it still goes all the way to KV. */
export const KV_PROBE_KEY = "health:probe";
export const DO_PROBE_NAME = "health:probe";

class CheckTimeout extends Error {
  override readonly name = "CheckTimeout";
}

async function timed(check: () => Promise<Record<string, unknown>>): Promise<{ result: CheckResult; error?: unknown }> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CheckTimeout()), HEALTH_CHECK_TIMEOUT_MS);
    });
    const details = await Promise.race([check(), deadline]);
    return { result: { status: "ok", duration_ms: elapsed(), ...details } };
  } catch (error) {
    const message =
      error instanceof CheckTimeout
        ? `no answer within ${HEALTH_CHECK_TIMEOUT_MS} ms`
        : error instanceof AppError
          ? error.code
          : "check failed";
    return { result: { status: "fail", duration_ms: elapsed(), error: message }, error };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export interface Readiness {
  ready: boolean;
  checks: Record<CheckName, CheckResult>;
  failing: CheckName[];
  /** The underlying errors of failed checks, for the log (never the response). */
  errors: Partial<Record<CheckName, unknown>>;
}

/** Checks every dependency at once, each with its own deadline. */
export async function checkReadiness(env: Env): Promise<Readiness> {
  const config = loadConfig(env);
  const probes: Record<CheckName, () => Promise<Record<string, unknown>>> = {
    config: async () => {
      if (!config.ok) throw new AppError("CONFIG_INVALID", "invalid", { variables: config.problems });
      return {};
    },
    database: async () => {
      if (!config.ok) throw new AppError("CONFIG_INVALID", "no valid DATABASE_URL");
      const [result] = await runInDatabase(
        config.config,
        systemCaller("health"),
        (db) => [db.execute<{ schema_version: string | null }>(sql`select schema_version from app.readiness()`)],
        { readOnly: true },
      );
      return { schema_version: result.rows[0]?.schema_version ?? null };
    },
    kv: async () => {
      await env.PERMISSIONS_KV.get(KV_PROBE_KEY);
      return {};
    },
    durable_object: async () => {
      const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(DO_PROBE_NAME));
      await stub.ping();
      return {};
    },
  };
  const outcomes = await Promise.all(CHECK_NAMES.map(async (name) => [name, await timed(probes[name])] as const));
  const checks = Object.fromEntries(outcomes.map(([name, outcome]) => [name, outcome.result])) as Record<CheckName, CheckResult>;
  const failing = CHECK_NAMES.filter((name) => checks[name].status === "fail");
  const errors = Object.fromEntries(outcomes.filter(([, o]) => o.error !== undefined).map(([name, o]) => [name, o.error]));
  return { ready: failing.length === 0, checks, failing, errors };
}
