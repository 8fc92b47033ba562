import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { checkDeployment } from "../../scripts/check-config";
import { TEST_DATA_KEK, TEST_DB_CLAIMS_KEY, TEST_JWT_KEY } from "../support/test-constants";

const toml = await readFile(new URL("../../wrangler.toml", import.meta.url), "utf8");
const secrets = {
  DATABASE_URL: "postgresql://leave_ledger_authenticator:pw@ep-cool-1.eu-central-1.aws.neon.tech/leave_ledger?sslmode=require",
  PIN_PEPPER: "0123456789abcdef0123456789abcdef-pepper",
  SENTRY_DSN: "https://abc123@o1.ingest.sentry.io/42",
  JWT_SIGNING_KEY: JSON.stringify(TEST_JWT_KEY),
  DB_CLAIMS_KEY: JSON.stringify(TEST_DB_CLAIMS_KEY),
  DATA_KEK: JSON.stringify(TEST_DATA_KEK),
};
const withKvIds = toml
  .replaceAll(/REPLACE_WITH_\w+_KV_NAMESPACE_ID/g, "0f2ac74b498b48028cb68387c421e279")
  .replaceAll(/REPLACE_WITH_\w+_FLAGSHIP_APP_ID/g, "5d1c3e7f-2a4b-4c6d-8e9f-0a1b2c3d4e5f");

describe("scripts/check-config", () => {
  it("accepts production once secrets and the KV id are set", () => {
    expect(checkDeployment(withKvIds, "production", secrets)).toEqual([]);
  });

  it("names what is missing: secrets, KV namespace id, Flagship app id, webhook queues", () => {
    const problems = checkDeployment(toml, "production", { DATABASE_URL: secrets.DATABASE_URL });
    expect(problems.some((p) => p.startsWith("PIN_PEPPER:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("DB_CLAIMS_KEY:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("DATA_KEK:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("PERMISSIONS_KV:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("FLAGS:"))).toBe(true);
    const noQueues = withKvIds.replaceAll(/\[\[env\.production\.queues\.consumers\]\][^[]*/g, "");
    expect(checkDeployment(noQueues, "production", secrets)).toEqual([
      "WEBHOOKS: queue producer and consumer missing",
      "WEBHOOK_DEAD_LETTERS: queue producer and consumer missing",
    ]);
  });

  it("refuses an owner login as DATABASE_URL and a weak pepper, without printing values", () => {
    const owner = "postgresql://neondb_owner:supersecretpw@ep-cool-1.aws.neon.tech/leave_ledger";
    const problems = checkDeployment(withKvIds, "staging", { ...secrets, DATABASE_URL: owner, PIN_PEPPER: "short-pepper" });
    expect(problems.map((p) => p.split(":")[0]).sort()).toEqual(["DATABASE_URL", "PIN_PEPPER"]);
    expect(problems.join("\n")).not.toMatch(/supersecretpw|short-pepper/);
  });

  it("refuses an unknown environment", () => {
    expect(checkDeployment(toml, "qa", secrets)).toEqual(["wrangler.toml has no [env.qa]"]);
  });
});
