import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { runInDatabase } from "../../src/db/door";
import { authApp } from "../support/worker/auth";
import { as, dbConfig, people } from "../support/worker/callers";
import { expectError, rejectionOf, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const standard = {
  key: "pto-standard",
  name: "Paid time off",
  unit: "day",
  accrual: { period: "monthly", amount: 2.0833 },
  max_balance: 40,
  carryover: { cap: 5, expiry_months: 3 },
  negative_allowance: 2,
  approvals_required: 1,
  effective_from: "2026-01-01",
};

async function hrSession() {
  const api = authApp();
  const hana = await api.tokens(people.hana.email);
  return { api, token: hana.access_token };
}

describe("leave policies", () => {
  it("are created as version 1 and changed only by adding versions; history stays", async () => {
    const { api, token } = await hrSession();
    const created = await api.postJson("/v1/policies", standard, bearer(token));
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      key: "pto-standard",
      version: 1,
      accrual: { period: "monthly", amount: 2.0833 },
      carryover: { cap: 5, expiry_months: 3 },
    });
    const revised = await api.postJson(
      "/v1/policies/pto-standard/versions",
      { ...standard, key: undefined, max_balance: 45, effective_from: "2027-01-01" },
      bearer(token),
    );
    expect(revised.status).toBe(201);
    expect(await revised.json()).toMatchObject({ version: 2, max_balance: 45 });

    const versions = (await (await api.send("/v1/policies/pto-standard", { headers: bearer(token) })).json()) as {
      data: { version: number; max_balance: number }[];
    };
    expect(versions.data.map((v) => [v.version, v.max_balance])).toEqual([
      [2, 45],
      [1, 40],
    ]);
    const current = (await (await api.send("/v1/policies", { headers: bearer(token) })).json()) as {
      data: { key: string; version: number }[];
    };
    expect(current.data.map((p) => `${p.key}@${p.version}`)).toEqual(["pto-standard@2"]);
    const audit = await superuserSql()`select action, target_id from audit_log where action like 'policy.%' order by id`;
    expect(audit).toEqual([
      { action: "policy.create", target_id: "pto-standard@1" },
      { action: "policy.revise", target_id: "pto-standard@2" },
    ]);
  });

  it("refuse a second create of the same key, versions of an unknown key, and rules that contradict themselves", async () => {
    const { api, token } = await hrSession();
    await api.postJson("/v1/policies", standard, bearer(token));
    await expectError(await api.postJson("/v1/policies", standard, bearer(token)), 409, "CONFLICT");
    await expectError(
      await api.postJson("/v1/policies/nope/versions", { ...standard, key: undefined }, bearer(token)),
      404,
      "RESOURCE_NOT_FOUND",
    );
    for (const bad of [
      { ...standard, key: "Bad Key" },
      { ...standard, accrual: { period: "monthly", amount: 0 } },
      { ...standard, accrual: { period: "none", amount: 1 } },
      { ...standard, approvals_required: 3 },
      { ...standard, negative_allowance: -1 },
      { ...standard, effective_from: "2026-02-30" },
      { ...standard, unit: "week" },
    ]) {
      await expectError(await api.postJson("/v1/policies", bad, bearer(token)), 400, "VALIDATION_FAILED");
    }
  });

  it("are readable by everyone in the tenant, managed by HR Admin and System Admin only, invisible to other tenants", async () => {
    const { api, token } = await hrSession();
    await api.postJson("/v1/policies", standard, bearer(token));
    const emma = await api.tokens(people.emma.email);
    expect((await api.send("/v1/policies", { headers: bearer(emma.access_token) })).status).toBe(200);
    await expectError(
      await api.postJson("/v1/policies", { ...standard, key: "emma-special" }, bearer(emma.access_token)),
      403,
      "FORBIDDEN",
    );
    const gina = await api.tokens(people.gina.email, "globex");
    await expectError(await api.send("/v1/policies/pto-standard", { headers: bearer(gina.access_token) }), 404, "RESOURCE_NOT_FOUND");
    const globexList = (await (await api.send("/v1/policies", { headers: bearer(gina.access_token) })).json()) as { data: unknown[] };
    expect(globexList.data).toEqual([]);
  });

  it("cannot be updated or deleted through the app role, whoever asks", async () => {
    const { api, token } = await hrSession();
    await api.postJson("/v1/policies", standard, bearer(token));
    for (const statement of [sql`update leave_policies set max_balance = 1000`, sql`delete from leave_policies`]) {
      const error = await rejectionOf(runInDatabase(dbConfig(), as.sam, (db) => [db.execute(statement)]));
      expect(error.code).toBe("FORBIDDEN");
    }
    const [row] = (await superuserSql()`select max_balance from leave_policies`) as [{ max_balance: string }];
    expect(Number(row.max_balance)).toBe(40);
  });
});

describe("policy assignments", () => {
  it("assign in bulk, skip employees already assigned and those of other tenants, and end on a date", async () => {
    const { api, token } = await hrSession();
    await api.postJson("/v1/policies", standard, bearer(token));
    const assign = (ids: string[]) =>
      api.postJson("/v1/policies/pto-standard/assignments", { employee_ids: ids, starts_on: "2026-01-01" }, bearer(token));
    const first = (await (await assign([people.emma.employeeId, people.eli.employeeId, people.gus.employeeId])).json()) as {
      changed: number;
      employee_ids: string[];
    };
    expect(first.changed).toBe(2);
    expect(first.employee_ids.sort()).toEqual([people.emma.employeeId, people.eli.employeeId].sort());
    const again = (await (await assign([people.emma.employeeId, people.mike.employeeId])).json()) as { employee_ids: string[] };
    expect(again.employee_ids).toEqual([people.mike.employeeId]);

    const ended = await api.postJson(
      "/v1/policies/pto-standard/assignments/end",
      { employee_ids: [people.eli.employeeId], ends_on: "2026-06-30" },
      bearer(token),
    );
    expect(((await ended.json()) as { employee_ids: string[] }).employee_ids).toEqual([people.eli.employeeId]);
    const rows = await superuserSql()`select employee_id, ends_on from policy_assignments order by employee_id`;
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.employee_id === people.eli.employeeId)?.ends_on).toBe("2026-06-30");
    const audit =
      await superuserSql()`select action, count(*)::int as n from audit_log where action like 'policy.%assign' group by action order by action`;
    expect(audit).toEqual([
      { action: "policy.assign", n: 3 },
      { action: "policy.unassign", n: 1 },
    ]);
  });

  it("refuse an unknown policy and employees who may not manage policies", async () => {
    const { api, token } = await hrSession();
    await expectError(
      await api.postJson(
        "/v1/policies/nope/assignments",
        { employee_ids: [people.emma.employeeId], starts_on: "2026-01-01" },
        bearer(token),
      ),
      404,
      "RESOURCE_NOT_FOUND",
    );
    const mike = await api.tokens(people.mike.email);
    await expectError(
      await api.postJson(
        "/v1/policies/pto-standard/assignments",
        { employee_ids: [people.emma.employeeId], starts_on: "2026-01-01" },
        bearer(mike.access_token),
      ),
      403,
      "FORBIDDEN",
    );
  });

  it("are visible to the employee, their manager and tenant readers only", async () => {
    const { api, token } = await hrSession();
    await api.postJson("/v1/policies", standard, bearer(token));
    await api.postJson(
      "/v1/policies/pto-standard/assignments",
      { employee_ids: [people.emma.employeeId, people.sam.employeeId], starts_on: "2026-01-01" },
      bearer(token),
    );
    const visible = async (caller: Parameters<typeof runInDatabase>[1]) =>
      (
        await runInDatabase(dbConfig(), caller, (db) => [
          db.execute<{ employee_id: string }>(sql`select employee_id from policy_assignments`),
        ])
      )[0].rows
        .map((r) => r.employee_id)
        .sort();
    expect(await visible(as.emma)).toEqual([people.emma.employeeId]);
    expect(await visible(as.mike)).toEqual([people.emma.employeeId]);
    expect(await visible(as.eli)).toEqual([]);
    expect(await visible(as.ada)).toEqual([people.emma.employeeId, people.sam.employeeId].sort());
    expect(await visible(as.gina)).toEqual([]);
  });
});
