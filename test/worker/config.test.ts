import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { parseConfig } from "../../src/kernel/config";
import { MIN_SECRET_BYTES } from "../../src/kernel/constants";
import type { Env } from "../../src/kernel/env";
import { TEST_DATA_KEK, TEST_DB_CLAIMS_KEY, TEST_JWT_KEY } from "../support/test-constants";
import { BASE_URL, captureLogs, expectError, testEnv } from "../support/worker/harness";

const valid = {
  ENVIRONMENT: "production",
  DATABASE_URL: "postgresql://leave_ledger_authenticator:pw@ep-quiet-sky-123.eu-central-1.aws.neon.tech/leave_ledger?sslmode=require",
  PIN_PEPPER: "p".repeat(MIN_SECRET_BYTES),
  ALLOWED_ORIGINS: "https://app.example.com, https://admin.example.com",
  SENTRY_DSN: "https://abc@o1.ingest.sentry.io/2",
  JWT_SIGNING_KEY: JSON.stringify(TEST_JWT_KEY),
  DB_CLAIMS_KEY: JSON.stringify(TEST_DB_CLAIMS_KEY),
  DATA_KEK: JSON.stringify(TEST_DATA_KEK),
};

function problemsOf(overrides: Record<string, unknown>) {
  const result = parseConfig({ ...valid, ...overrides });
  return result.ok ? [] : result.problems;
}

describe("configuration rules", () => {
  it("accepts a complete production configuration", () => {
    const result = parseConfig(valid);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.config.ALLOWED_ORIGINS).toEqual(["https://app.example.com", "https://admin.example.com"]);
  });

  it.each([
    ["missing secret", { PIN_PEPPER: undefined }, "PIN_PEPPER"],
    ["empty secret", { PIN_PEPPER: "" }, "PIN_PEPPER"],
    [`secret of ${MIN_SECRET_BYTES - 1} bytes`, { PIN_PEPPER: "s".repeat(MIN_SECRET_BYTES - 1) }, "PIN_PEPPER"],
    ["missing DATABASE_URL", { DATABASE_URL: undefined }, "DATABASE_URL"],
    ["DATABASE_URL that is not postgres", { DATABASE_URL: "mysql://u@h/db" }, "DATABASE_URL"],
    ["DATABASE_URL without a database", { DATABASE_URL: "postgres://user@host" }, "DATABASE_URL"],
    ["DATABASE_URL that is not a URL", { DATABASE_URL: "not a url at all" }, "DATABASE_URL"],
    ["unknown ENVIRONMENT", { ENVIRONMENT: "qa-cluster" }, "ENVIRONMENT"],
    ["origin with a path", { ALLOWED_ORIGINS: "https://app.example.com/login" }, "ALLOWED_ORIGINS"],
    ["SENTRY_DSN not a URL", { SENTRY_DSN: "nope" }, "SENTRY_DSN"],
    ["local Neon endpoint in production", { NEON_FETCH_ENDPOINT: "http://127.0.0.1:4444/sql" }, "NEON_FETCH_ENDPOINT"],
    ["missing signing key", { JWT_SIGNING_KEY: undefined }, "JWT_SIGNING_KEY"],
    ["signing key that is not JSON", { JWT_SIGNING_KEY: "-----BEGIN PRIVATE KEY-----" }, "JWT_SIGNING_KEY"],
    ["public key as signing key", { JWT_SIGNING_KEY: JSON.stringify({ ...TEST_JWT_KEY, d: undefined }) }, "JWT_SIGNING_KEY"],
    ["RSA key as signing key", { JWT_SIGNING_KEY: JSON.stringify({ ...TEST_JWT_KEY, kty: "RSA" }) }, "JWT_SIGNING_KEY"],
    ["previous key with the same kid", { JWT_PREVIOUS_SIGNING_KEY: JSON.stringify(TEST_JWT_KEY) }, "JWT_PREVIOUS_SIGNING_KEY"],
    ["missing claims key", { DB_CLAIMS_KEY: undefined }, "DB_CLAIMS_KEY"],
    ["claims key that is not JSON", { DB_CLAIMS_KEY: TEST_DB_CLAIMS_KEY.k }, "DB_CLAIMS_KEY"],
    ["claims key without a kid", { DB_CLAIMS_KEY: JSON.stringify({ ...TEST_DB_CLAIMS_KEY, kid: undefined }) }, "DB_CLAIMS_KEY"],
    [
      "claims key of 16 bytes",
      { DB_CLAIMS_KEY: JSON.stringify({ ...TEST_DB_CLAIMS_KEY, k: TEST_DB_CLAIMS_KEY.k.slice(0, 22) }) },
      "DB_CLAIMS_KEY",
    ],
    [
      "claims key with a kid that cannot head a signature",
      { DB_CLAIMS_KEY: JSON.stringify({ ...TEST_DB_CLAIMS_KEY, kid: "a:b" }) },
      "DB_CLAIMS_KEY",
    ],
    ["claims key that is not an HMAC key", { DB_CLAIMS_KEY: JSON.stringify({ ...TEST_DB_CLAIMS_KEY, kty: "EC" }) }, "DB_CLAIMS_KEY"],
    ["missing key-encryption key", { DATA_KEK: undefined }, "DATA_KEK"],
    ["key-encryption key of 31 bytes", { DATA_KEK: JSON.stringify({ ...TEST_DATA_KEK, k: TEST_DATA_KEK.k.slice(0, 41) }) }, "DATA_KEK"],
    ["key-encryption key of 33 bytes", { DATA_KEK: JSON.stringify({ ...TEST_DATA_KEK, k: `${TEST_DATA_KEK.k}AA` }) }, "DATA_KEK"],
    ["key-encryption key for another algorithm", { DATA_KEK: JSON.stringify({ ...TEST_DATA_KEK, alg: "A128KW" }) }, "DATA_KEK"],
    ["previous key-encryption key with the same kid", { DATA_KEK_PREVIOUS: JSON.stringify(TEST_DATA_KEK) }, "DATA_KEK_PREVIOUS"],
    ["rate limit that is not a number", { RATE_LIMIT_USER_PER_MINUTE: "lots" }, "RATE_LIMIT_USER_PER_MINUTE"],
    ["OIDC issuers that are not JSON", { OIDC_ISSUERS: "idp.example.com" }, "OIDC_ISSUERS"],
    [
      "an OIDC issuer without a tenant",
      { OIDC_ISSUERS: JSON.stringify([{ issuer: "https://idp.example", jwks_uri: "https://idp.example/jwks", audience: "a" }]) },
      "OIDC_ISSUERS",
    ],
    [
      "an OIDC JWKS over plain http in production",
      {
        OIDC_ISSUERS: JSON.stringify([
          {
            issuer: "https://idp.example",
            jwks_uri: "http://idp.example/jwks",
            audience: "a",
            tenant_id: "00000000-0000-4000-8100-000000000001",
          },
        ]),
      },
      "OIDC_ISSUERS",
    ],
  ])("refuses %s, naming the variable and not its value", (_, overrides, variable) => {
    const problems = problemsOf(overrides);
    expect(problems.map((p) => p.variable)).toEqual([variable]);
    const value = (overrides as Record<string, unknown>)[variable];
    if (typeof value === "string" && value.length > 3) expect(JSON.stringify(problems)).not.toContain(value);
  });

  it("counts secret length in bytes, not characters", () => {
    const sixteenTwoByteChars = "é".repeat(MIN_SECRET_BYTES / 2);
    expect(problemsOf({ PIN_PEPPER: sixteenTwoByteChars })).toEqual([]);
    expect(problemsOf({ PIN_PEPPER: "é".repeat(MIN_SECRET_BYTES / 2 - 1) }).map((p) => p.variable)).toEqual(["PIN_PEPPER"]);
  });

  it("reports every problem at once", () => {
    expect(
      problemsOf({ PIN_PEPPER: "x", DATABASE_URL: "x" })
        .map((p) => p.variable)
        .sort(),
    ).toEqual(["DATABASE_URL", "PIN_PEPPER"]);
  });

  it("allows the local Neon endpoint in development", () => {
    expect(problemsOf({ ENVIRONMENT: "development", NEON_FETCH_ENDPOINT: "http://127.0.0.1:4444/sql" })).toEqual([]);
  });
});

describe("a Worker with an invalid configuration", () => {
  const weakPepper = "weak-pepper-value";
  const brokenEnv: Env = { ...testEnv, PIN_PEPPER: weakPepper };
  const app = createApp();
  const fetchWith = async (path: string) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`${BASE_URL}${path}`), brokenEnv, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };

  it("answers every non-health request 500 CONFIG_INVALID naming the variable, logging it once per isolate", async () => {
    const logs = await captureLogs(async () => {
      for (const path of ["/v1/tenants/acme", "/v1/openapi.json", "/docs", "/v1/tenants/acme"]) {
        const res = await fetchWith(path);
        const raw = await res.clone().text();
        const error = await expectError(res, 500, "CONFIG_INVALID");
        expect(error.details.variables).toEqual([{ variable: "PIN_PEPPER", problem: `must be at least ${MIN_SECRET_BYTES} bytes` }]);
        expect(raw).not.toContain(weakPepper);
      }
    });
    expect(logs.filter((l) => l.event === "config_invalid")).toHaveLength(1);
    expect(JSON.stringify(logs)).not.toContain(weakPepper);
  });

  it("still serves /health", async () => {
    expect((await fetchWith("/health")).status).toBe(200);
  });
});
