import { describe, expect, it } from "vitest";
import pkg from "../../package.json";
import { createApp } from "../../src/app";
import { HEALTH_CHECK_TIMEOUT_MS } from "../../src/kernel/constants";
import type { Env } from "../../src/kernel/env";
import { call, callApp, captureLogs, failingDurableObject, failingKv } from "../support/worker/harness";

const app = createApp();

/** Bindings that throw on any use: a route that touches one of them cannot answer 200. */
const explodingBindings = {
  DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
  PERMISSIONS_KV: failingKv(),
  RATE_LIMITER: failingDurableObject(),
} satisfies Partial<Env>;

describe("GET /health", () => {
  it("answers 200 with status and version, uncached", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", version: pkg.version });
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("does no I/O: still 200 when the database, KV and the Durable Object all fail", async () => {
    for (const path of ["/health", "/health/live"]) {
      const res = await callApp(app, path, {}, explodingBindings);
      expect(res.status, path).toBe(200);
    }
  });

  it("is still 200 when the configuration is invalid", async () => {
    const res = await callApp(app, "/health", {}, { PIN_PEPPER: "short" });
    expect(res.status).toBe(200);
  });
});

describe("GET /health/ready", () => {
  it("reports every check ok, with the schema version, when all dependencies answer", async () => {
    const res = await call("/health/ready");
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = (await res.json()) as any;
    expect(body.status).toBe("ready");
    expect(body.failing).toEqual([]);
    expect(Object.keys(body.checks).sort()).toEqual(["config", "database", "durable_object", "kv"]);
    for (const check of Object.values(body.checks) as any[]) expect(check.status).toBe("ok");
    expect(body.checks.database.schema_version).toMatch(/^\d{4}_/);
  });

  it.each([
    ["kv", { PERMISSIONS_KV: failingKv() }],
    ["durable_object", { RATE_LIMITER: failingDurableObject() }],
    ["database", { DATABASE_URL: "postgres://leave_ledger_authenticator@127.0.0.1:1/leave_ledger" }],
  ] as const)("answers 503 naming %s when it fails, the others still ok", async (name, bindings) => {
    const logs = await captureLogs(async () => {
      const res = await callApp(app, "/health/ready", {}, bindings as Partial<Env>);
      expect(res.status).toBe(503);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(Number(res.headers.get("Retry-After")), "a 503 says when to retry").toBeGreaterThan(0);
      const body = (await res.json()) as any;
      expect(body.status).toBe("unavailable");
      expect(body.failing).toEqual([name]);
      expect(body.checks[name].status).toBe("fail");
      expect(body.error.code).toBe("SERVICE_UNAVAILABLE");
      expect(body.error.details.failing).toEqual([name]);
      expect(body.error.request_id).toBe(res.headers.get("X-Request-Id"));
    });
    const warning = logs.find((l) => l.event === "readiness_failed");
    expect(warning?.failing).toEqual([name]);
    expect(warning?.request_id).toMatch(/.+/);
  });

  it("fails a hanging dependency after its deadline instead of hanging", async () => {
    const started = Date.now();
    const res = await callApp(app, "/health/ready", {}, { PERMISSIONS_KV: failingKv("hang") });
    const elapsed = Date.now() - started;
    expect(res.status).toBe(503);
    const body = (await res.json()) as any;
    expect(body.failing).toEqual(["kv"]);
    expect(body.checks.kv.error).toContain(`${HEALTH_CHECK_TIMEOUT_MS} ms`);
    expect(elapsed).toBeGreaterThanOrEqual(HEALTH_CHECK_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(HEALTH_CHECK_TIMEOUT_MS + 3_000);
  });

  it("reports an invalid configuration as failing config (and the database it makes unreachable)", async () => {
    const res = await callApp(app, "/health/ready", {}, { PIN_PEPPER: "short" });
    expect(res.status).toBe(503);
    const body = (await res.json()) as any;
    expect(body.failing).toEqual(["config", "database"]);
    expect(body.checks.kv.status).toBe("ok");
    expect(JSON.stringify(body)).not.toContain("short");
  });
});
