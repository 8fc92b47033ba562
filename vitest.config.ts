import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

import {
  TEST_ALLOWED_ORIGIN,
  TEST_JWT_AUDIENCE,
  TEST_JWT_ISSUER,
  TEST_JWT_KEY,
  TEST_PIN_PEPPER,
  TEST_PREVIOUS_JWT_KEY,
} from "./test/support/test-constants.ts";

export default defineConfig({
  test: {
    silent: "passed-only",
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
                JWT_ISSUER: TEST_JWT_ISSUER,
                JWT_AUDIENCE: TEST_JWT_AUDIENCE,
              },
            },
          })),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          globalSetup: ["test/support/node/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
