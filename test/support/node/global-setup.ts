/**
 * Starts what the Worker under test talks to, once per `npm test`: a throw-away PostgreSQL (migrated and
 * seeded), the local Neon endpoint and the harbor (fake Sentry, database gate). Everything listens on
 * 127.0.0.1 and is gone when the run ends.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { DATABASE_NAME, startLocalStack } from "../../../scripts/lib/local-stack";
import { DB_ROLES } from "../../../src/db/roles";
import { TEST_DATA_KEK, TEST_DB_CLAIMS_KEY, TEST_PIN_PEPPER } from "../test-constants";
import { startHarbor } from "./harbor";

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), "leave-ledger-test-"));
  await chmod(dir, 0o755); // Postgres runs as its own user when the tests run as root
  const stack = await startLocalStack({
    dataDir: join(dir, "postgres"),
    persistent: false,
    claimsKey: JSON.stringify(TEST_DB_CLAIMS_KEY),
    seed: { pinPepper: TEST_PIN_PEPPER, dataKek: JSON.stringify(TEST_DATA_KEK) },
  });
  const harbor = await startHarbor(stack.postgres.port);
  project.provide("databaseUrl", stack.workerDatabaseUrl);
  project.provide("gatedDatabaseUrl", `postgres://${DB_ROLES.authenticator}@127.0.0.1:${harbor.gatePort}/${DATABASE_NAME}`);
  project.provide("superuserDatabaseUrl", stack.superuserDatabaseUrl);
  project.provide("ownerDatabaseUrl", stack.ownerDatabaseUrl);
  project.provide("neonEndpoint", stack.neon.url);
  project.provide("harborUrl", harbor.url);
  project.provide("sentryDsn", `http://publickey@127.0.0.1:${harbor.port}/1`);
  return async () => {
    await harbor.close();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
