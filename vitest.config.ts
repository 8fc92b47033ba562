import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

import {
  TEST_ALLOWED_ORIGIN,
  TEST_DATA_KEK,
  TEST_DB_CLAIMS_KEY,
  TEST_JWT_AUDIENCE,
  TEST_JWT_ISSUER,
  TEST_JWT_KEY,
  TEST_OIDC_AUDIENCE,
  TEST_OIDC_ISSUER,
  TEST_OIDC_TENANT_ID,
  TEST_PIN_PEPPER,
  TEST_PREVIOUS_JWT_KEY,
} from "./test/support/test-constants.ts";

// The Workers plugin runs wrangler's code: no telemetry, no update check, no Cloudflare fetches (docs/development.md).
Object.assign(process.env, { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" });

export default defineConfig({
  test: {
    silent: "passed-only",
    // One file at a time on any machine: the files share one Postgres, which each file resets (test/support).
    fileParallelism: false,
    projects: [
      {
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ENVIRONMENT: "test",
                DATABASE_URL: inject("databaseUrl"),
                NEON_FETCH_ENDPOINT: inject("neonEndpoint"),
                SENTRY_DSN: inject("sentryDsn"),
                PIN_PEPPER: TEST_PIN_PEPPER,
                ALLOWED_ORIGINS: TEST_ALLOWED_ORIGIN,
                JWT_SIGNING_KEY: JSON.stringify(TEST_JWT_KEY),
                JWT_PREVIOUS_SIGNING_KEY: JSON.stringify(TEST_PREVIOUS_JWT_KEY),
                DB_CLAIMS_KEY: JSON.stringify(TEST_DB_CLAIMS_KEY),
                DATA_KEK: JSON.stringify(TEST_DATA_KEK),
                JWT_ISSUER: TEST_JWT_ISSUER,
                JWT_AUDIENCE: TEST_JWT_AUDIENCE,
                OIDC_ISSUERS: JSON.stringify([
                  {
                    issuer: TEST_OIDC_ISSUER,
                    jwks_uri: `${inject("harborUrl")}/jwks/globex`,
                    audience: TEST_OIDC_AUDIENCE,
                    tenant_id: TEST_OIDC_TENANT_ID,
                  },
                ]),
              },
            },
          })),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          globalSetup: ["test/support/node/global-setup.ts"],
          setupFiles: ["test/support/worker/audit-chain-guard.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
