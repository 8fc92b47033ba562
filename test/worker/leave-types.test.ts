/**
 * Leave types that behave like the real ones: a category, untracked (unlimited) policies, no-approval policies
 * recorded at once, and requests recorded on someone's behalf by HR or, where the policy allows, their manager.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld, newKey } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const { emma, eli, mike, hana } = people;
const SICK = {
  key: "sick",
  name: "Sick leave",
  category: "sick",
  unit: "day",
  tracking: "untracked",
  approvals_required: 0,
  managers_may_record: true,
  effective_from: "2020-01-01",
};

type Request = { id: string; status: string; employee_id: string; submitted_by: string; submitted_by_name: string; reason: string | null };

/** The standard world (a tracked `pto` policy, 5 days granted) plus the untracked sick-leave policy, both assigned to Acme's people. */
async function withSickLeave() {
  const w = await ledgerWorld({ grant: 5 });
  expect((await w.api.postJson("/v1/policies", SICK, bearer(w.tokens.hana))).status).toBe(201);
  const assigned = await w.api.postJson(
    `/v1/policies/${SICK.key}/assignments`,
    { employee_ids: [emma.employeeId, eli.employeeId, mike.employeeId, hana.employeeId], starts_on: "2020-01-01" },
    bearer(w.tokens.hana),
  );
  expect(assigned.status).toBe(200);
  const record = (token: string, body: Record<string, unknown>) => w.post("/v1/requests", token, { policy_key: SICK.key, ...body });
  return { w, record };
}

const balanceOf = async (w: Awaited<ReturnType<typeof ledgerWorld>>, token: string, employeeId: string, key: string) => {
  const res = await w.api.send(`/v1/employees/${employeeId}/balances`, { headers: bearer(token) });
  const body = (await res.json()) as { balances: { policy_key: string }[] };
  return body.balances.find((b) => b.policy_key === key);
};

describe("policies", () => {
  it("carry a category, a tracking mode, an approval mode of 0, 1 or 2, and whether managers may record", async () => {
    const { w } = await withSickLeave();
    const res = await w.api.send(`/v1/policies/${SICK.key}`, { headers: bearer(w.tokens.emma) });
    expect(((await res.json()) as { data: unknown[] }).data[0]).toMatchObject({
      category: "sick",
      tracking: "untracked",
      approvals_required: 0,
      managers_may_record: true,
      accrual: { period: "none", amount: 0 },
    });
    const refused = async (body: Record<string, unknown>, path: string) => {
      const error = await expectError(
        await w.api.postJson("/v1/policies", { ...SICK, key: newKey("p").toLowerCase(), ...body }, bearer(w.tokens.hana)),
        400,
        "VALIDATION_FAILED",
      );
      expect((error.details.issues as { path: string }[]).map((i) => i.path)).toContain(path);
    };
    await refused({ accrual: { period: "monthly", amount: 1 } }, "tracking");
    await refused({ negative_allowance: 2 }, "tracking");
    await refused({ approvals_required: 3 }, "approvals_required");
    await refused({ category: "holiday" }, "category");
    // A revision keeps the tracking: one account's balance sums every version's entries.
    const { key: _, ...rules } = SICK;
    const revise = (change: Record<string, unknown>) =>
      w.api.postJson(`/v1/policies/${SICK.key}/versions`, { ...rules, effective_from: "2027-01-01", ...change }, bearer(w.tokens.hana));
    await expectError(await revise({ tracking: "tracked" }), 409, "CONFLICT");
  });
});

describe("untracked policies without approvers", () => {
  it("record the leave at once, whatever the balance: usage posted, no limit shown", async () => {
    const { w, record } = await withSickLeave();
    const res = await record(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-11" });
    expect(res.status, await res.clone().text()).toBe(201);
    const request = (await res.json()) as Request;
    expect(request).toMatchObject({
      status: "approved",
      employee_id: emma.employeeId,
      submitted_by: emma.userId,
      submitted_by_name: "Emma Employee",
    });
    const [audit] =
      (await superuserSql()`select details from audit_log where action = 'request.approve' and target_id = ${request.id}`) as [
        { details: Record<string, unknown> },
      ];
    expect(audit.details).toMatchObject({ automatic: true });
    expect(await balanceOf(w, w.tokens.emma, emma.employeeId, SICK.key)).toMatchObject({
      tracking: "untracked",
      posted: -5,
      pending: 0,
      available: null,
    });
    expect(await balanceOf(w, w.tokens.emma, emma.employeeId, w.policyKey)).toMatchObject({ tracking: "tracked", available: 5 });
    const kinds = (await w.entries(w.tokens.emma, `&policy_key=${SICK.key}`)).map((e) => e.kind);
    expect(kinds.filter((k) => k === "usage")).toHaveLength(5);
    // The days are taken: another request over them is a conflict, as always.
    await expectError(await record(w.tokens.emma, { start_date: "2026-12-09", end_date: "2026-12-09" }), 409, "CONFLICT");
  });

  it("a tracked policy without approvers still checks the balance, then records at once", async () => {
    const w = await ledgerWorld({ grant: 2, policy: { approvals_required: 0 } });
    await expectError(await w.submit(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-09" }), 422, "INSUFFICIENT_BALANCE");
    const ok = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    expect(ok.status).toBe("approved");
    expect(await w.balance(w.tokens.emma, emma.employeeId)).toMatchObject({ posted: 0, pending: 0, available: 0 });
  });
});

describe("on someone's behalf", () => {
  it("HR records a sick day for someone who called in: theirs, sealed for them, with who did it in the audit", async () => {
    const { w, record } = await withSickLeave();
    const res = await record(w.tokens.hana, {
      employee_id: eli.employeeId,
      start_date: "2026-11-25",
      end_date: "2026-11-25",
      reason: "flu",
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const request = (await res.json()) as Request;
    expect(request).toMatchObject({
      employee_id: eli.employeeId,
      status: "approved",
      submitted_by: hana.userId,
      submitted_by_name: "Hana HR",
      reason: "flu",
    });
    const eliToken = (await w.api.tokens(eli.email)).access_token;
    const seen = await w.api.send(`/v1/requests/${request.id}`, { headers: bearer(eliToken) });
    expect(await seen.json()).toMatchObject({ reason: "flu", submitted_by_name: "Hana HR" });
    const [row] =
      (await superuserSql()`select r.reason, k.employee_id from leave_requests r join data_keys k on k.id = r.data_key_id where r.id = ${request.id}`) as [
        { reason: string; employee_id: string },
      ];
    expect(row.reason).toMatch(/^v1\./); // sealed (src/crypto/sealed-fields.ts), not the plaintext
    expect(row.reason).not.toBe("flu");
    expect(row.employee_id).toBe(eli.employeeId);
    const [audit] =
      (await superuserSql()`select actor_id, details from audit_log where action = 'request.submit' and target_id = ${request.id}`) as [
        { actor_id: string; details: Record<string, unknown> },
      ];
    expect(audit).toMatchObject({ actor_id: hana.userId, details: { on_behalf_of: eli.employeeId } });
  });

  it("HR's record under an approval policy waits for a decision like any other request", async () => {
    const { w } = await withSickLeave();
    const res = await w.post("/v1/requests", w.tokens.hana, {
      employee_id: emma.employeeId,
      policy_key: w.policyKey,
      start_date: "2026-12-07",
      end_date: "2026-12-07",
    });
    expect(res.status).toBe(201);
    const request = (await res.json()) as Request;
    expect(request.status).toBe("pending");
    // Who recorded it does not also approve it: another approver decides.
    await expectError(await w.decide(w.tokens.hana, request.id, "approve"), 403, "FORBIDDEN");
    expect((await w.decide(w.tokens.mike, request.id, "approve")).status).toBe(200);
  });

  it("a manager records for direct reports only where the policy allows; nobody else records for anyone", async () => {
    const { w, record } = await withSickLeave();
    expect((await record(w.tokens.mike, { employee_id: emma.employeeId, start_date: "2026-11-26", end_date: "2026-11-26" })).status).toBe(
      201,
    );
    const ptoForReport = await w.post("/v1/requests", w.tokens.mike, {
      employee_id: emma.employeeId,
      policy_key: w.policyKey,
      start_date: "2026-12-14",
      end_date: "2026-12-14",
    });
    await expectError(ptoForReport, 403, "FORBIDDEN");
    // HR withdraws the managers' right in a newer version: a manager no longer records, even where the old version governs.
    const { key: _, ...rules } = SICK;
    const revoked = await w.api.postJson(
      `/v1/policies/${SICK.key}/versions`,
      { ...rules, managers_may_record: false, effective_from: "2027-01-01" },
      bearer(w.tokens.hana),
    );
    expect(revoked.status, await revoked.clone().text()).toBe(201);
    await expectError(
      await record(w.tokens.mike, { employee_id: emma.employeeId, start_date: "2026-11-27", end_date: "2026-11-27" }),
      403,
      "FORBIDDEN",
    );
    await expectError(
      await record(w.tokens.mike, { employee_id: hana.employeeId, start_date: "2026-11-26", end_date: "2026-11-26" }),
      404,
      "RESOURCE_NOT_FOUND",
    );
    await expectError(
      await record(w.tokens.emma, { employee_id: eli.employeeId, start_date: "2026-11-26", end_date: "2026-11-26" }),
      404,
      "RESOURCE_NOT_FOUND",
    );
    await expectError(
      await record(w.tokens.ada, { employee_id: eli.employeeId, start_date: "2026-11-26", end_date: "2026-11-26" }),
      403,
      "FORBIDDEN",
    );
    await expectError(
      await record(w.tokens.hana, { employee_id: people.gus.employeeId, start_date: "2026-11-26", end_date: "2026-11-26" }),
      404,
      "RESOURCE_NOT_FOUND",
    );
    const [{ n }] = (await superuserSql()`select count(*)::int as n from leave_requests`) as [{ n: number }];
    expect(n).toBe(1); // only Mike's first record
  });
});
