import { beforeEach, describe, expect, it } from "vitest";
import { ipBucket } from "../../src/auth/limiter";
import { authApp } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState } from "../support/worker/harness";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

describe("per-IP limits count IPv6 by /64", () => {
  it.each([
    ["192.0.2.7", "192.0.2.7"],
    ["2001:db8:1:2::a", "2001:db8:1:2::/64"],
    ["2001:0DB8:0001:0002:ffff:0:0:1", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["::ffff:192.0.2.1", "0:0:0:0::/64"],
    ["not-an-address", "not-an-address"],
    ["2001:db8:::1", "2001:db8:::1"],
  ])("%s counts as %s", (ip, bucket) => {
    expect(ipBucket(ip)).toBe(bucket);
  });

  it("failed logins from many addresses of one /64 share one limit; another /64 has its own", async () => {
    const api = authApp();
    for (let i = 1; i <= 5; i++) {
      // A different identifier each time, so that no account lockout but the address's limit is reached.
      await expectError(
        await api.login(`nobody-${i}@acme.example`, "wrong-password-123", `2001:db8:1:2::${i.toString(16)}`),
        401,
        "UNAUTHORIZED",
      );
    }
    await expectError(await api.login(people.emma.email, undefined, "2001:db8:1:2:ffff::99"), 429, "RATE_LIMIT_EXCEEDED");
    expect((await api.login(people.eli.email, undefined, "2001:db8:1:3::1")).status).toBe(200);
  });
});

describe("the client's address", () => {
  const tenantDirectory = (api: ReturnType<typeof authApp>, environment: string, ip?: string) =>
    api.send("/v1/tenants/acme", { headers: ip ? { "CF-Connecting-IP": ip } : {} }, { ENVIRONMENT: environment });

  it("is required in staging and production: a request without CF-Connecting-IP did not come through the edge", async () => {
    const api = authApp();
    for (const environment of ["staging", "production"]) {
      await expectError(await tenantDirectory(api, environment), 400, "INVALID_INPUT");
      // With the header the request goes on (to the configuration check, which a local database fails there).
      await expectError(await tenantDirectory(api, environment, "192.0.2.7"), 500, "CONFIG_INVALID");
      expect((await api.send("/health", {}, { ENVIRONMENT: environment })).status).toBe(200);
    }
  });

  it("is optional locally: requests without it count as loopback", async () => {
    const api = authApp();
    expect((await tenantDirectory(api, "development")).status).toBe(200);
    expect((await tenantDirectory(api, "test")).status).toBe(200);
  });
});
