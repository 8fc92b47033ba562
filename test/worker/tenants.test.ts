import { beforeEach, describe, expect, it } from "vitest";
import { ACME } from "../../scripts/lib/seed-data";
import { call, expectError, resetDatabase, superuserSql } from "../support/worker/harness";

beforeEach(() => resetDatabase());

describe("GET /v1/tenants/{slug}", () => {
  it("returns an active tenant's public profile and nothing more", async () => {
    const res = await call("/v1/tenants/acme");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: ACME.id, slug: "acme", name: ACME.name });
  });

  it("answers 404 for a slug nobody has", async () => {
    await expectError(await call("/v1/tenants/initech"), 404, "RESOURCE_NOT_FOUND");
  });

  it("answers 404 for a suspended tenant", async () => {
    await superuserSql()`update tenants set status = 'suspended' where id = ${ACME.id}`;
    await expectError(await call("/v1/tenants/acme"), 404, "RESOURCE_NOT_FOUND");
  });

  it.each([["A"], ["UPPER"], ["has_underscore"], ["x".repeat(64)], ["-leading-dash"], ["acme'%20or%201=1--"]])(
    "refuses the malformed slug %s with 400 VALIDATION_FAILED",
    async (slug) => {
      const error = await expectError(await call(`/v1/tenants/${slug}`), 400, "VALIDATION_FAILED");
      expect((error.details.issues as { path: string }[])[0]!.path).toBe("slug");
    },
  );
});
