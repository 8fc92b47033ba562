import { beforeEach, describe, expect, it } from "vitest";
import { can, permissionsOf } from "../../src/auth/permissions";
import type { PERMISSIONS } from "../../src/kernel/access";
import { ROLES } from "../../src/kernel/access";
import { authApp } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState } from "../support/worker/harness";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

/** The roles matrix (who may do what), row by row: which roles may. */
const DESIGN_MATRIX: Record<string, string[]> = {
  "self:read": ["employee", "manager", "hr_admin", "system_admin", "auditor"],
  "self:manage": ["employee", "manager", "hr_admin", "system_admin", "auditor"],
  "team:read": ["manager", "hr_admin", "system_admin", "auditor"],
  "tenant:read": ["hr_admin", "system_admin", "auditor"],
  "request:submit": ["employee", "manager", "hr_admin", "system_admin"],
  "request:approve:any": ["hr_admin", "system_admin"],
  "policy:manage": ["hr_admin", "system_admin"],
  "rollover:run": ["system_admin"],
  "reconciliation:run": ["system_admin"],
  "audit:read": ["hr_admin", "system_admin", "auditor"],
  "apikey:manage": ["system_admin"],
  "account:unlock": ["system_admin"],
  "config:manage": ["system_admin"],
};

describe("the permission table", () => {
  it.each(Object.entries(DESIGN_MATRIX))("%s is granted exactly to %j", (permission, roles) => {
    for (const role of ROLES)
      expect(can({ roles: [role] }, permission as keyof typeof PERMISSIONS), `${role} ${permission}`).toBe(roles.includes(role));
  });

  it("an auditor can read everything and change nothing (but their own password)", () => {
    const granted = permissionsOf({ roles: ["auditor"] });
    expect(granted.filter((p) => !p.endsWith(":read"))).toEqual(["self:manage"]);
  });

  it("no roles, no permissions", () => {
    expect(permissionsOf({ roles: [] })).toEqual([]);
  });
});

describe("GET /v1/me/permissions", () => {
  it("answers from the caller's roles", async () => {
    const api = authApp();
    const emma = await api.tokens(people.emma.email);
    const sam = await api.tokens(people.sam.email);
    const mine = (await (
      await api.send("/v1/me/permissions", { headers: { Authorization: `Bearer ${emma.access_token}` } })
    ).json()) as any;
    expect(mine.roles).toEqual(["employee"]);
    expect(mine.permissions).toContain("request:submit");
    expect(mine.permissions).not.toContain("audit:read");
    const admin = (await (
      await api.send("/v1/me/permissions", { headers: { Authorization: `Bearer ${sam.access_token}` } })
    ).json()) as any;
    expect(admin.permissions).toEqual(expect.arrayContaining(["apikey:manage", "account:unlock", "rollover:run"]));
  });
});

describe("per-IP limit on anonymous routes", () => {
  it("refuses the request over the limit, per address, and never limits /health", async () => {
    const api = authApp();
    const limits = { RATE_LIMIT_IP_PER_MINUTE: "3" };
    const from = (ip: string) => api.send("/v1/tenants/acme", { headers: { "CF-Connecting-IP": ip } }, limits);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await from("198.51.100.5")).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await from("198.51.100.5");
    await expectError(refused, 429, "RATE_LIMIT_EXCEEDED");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect((await from("198.51.100.6")).status).toBe(200);
    for (let i = 0; i < 10; i++)
      expect((await api.send("/health", { headers: { "CF-Connecting-IP": "198.51.100.5" } }, limits)).status).toBe(200);
  });
});
