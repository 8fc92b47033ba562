/**
 * The HR product's journey, one role after another, through the API only: HR sets up leave types and a second
 * holiday calendar and records a sick day; the employee looks ahead, tries a request out and asks for it; the
 * manager sees names, records and approves; the auditor reads what happened, as it is and as it was; later a
 * holiday added on approved leave is corrected, and the manager away hands approvals to a colleague.
 * The test clock starts on Tuesday 2026-11-24.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState } from "../support/worker/harness";
import { bearer, ledgerWorld, newKey } from "../support/worker/ledger";

const { emma, eli } = people;
let w: Awaited<ReturnType<typeof ledgerWorld>>;
let emmasRequest: { id: string; status: string; days: number };
let beforeApproval: string;

const get = async <T>(path: string, token: string) => {
  const res = await w.api.send(path, { headers: bearer(token) });
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
  return (await res.json()) as T;
};
const post = async <T>(path: string, token: string, body: unknown, status: number) => {
  const res = await w.post(path, token, body, newKey("journey"));
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(status);
  return (await res.json()) as T;
};

beforeAll(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
  // A yearly vacation allowance of 24 days, granted on 1 January (prorated for a late start).
  w = await ledgerWorld({ policy: { key: "vacation", accrual: { period: "yearly", amount: 24 } }, startsOn: "2026-01-01" });
});

describe("the HR product, role by role", () => {
  it("HR: finds people, sets up sick leave and an office's calendar, records a sick day that is approved at once", async () => {
    const found = await get<{ data: { id: string; display_name: string }[]; total: number }>("/v1/employees?q=eli", w.tokens.hana);
    expect(found.data.map((e) => e.id)).toContain(eli.employeeId);

    const sick = {
      key: "sick",
      name: "Sick leave",
      category: "sick",
      unit: "day",
      tracking: "untracked",
      approvals_required: 0,
      managers_may_record: true,
      effective_from: "2020-01-01",
    };
    expect((await w.api.postJson("/v1/policies", sick, bearer(w.tokens.hana))).status).toBe(201);
    const assigned = await w.api.postJson(
      "/v1/policies/sick/assignments",
      { employee_ids: [emma.employeeId, eli.employeeId], starts_on: "2026-01-01" },
      bearer(w.tokens.hana),
    );
    expect(assigned.status).toBe(200);

    expect(
      (await w.api.postJson("/v1/holidays", { day: "2027-03-08", name: "Frauentag", calendar: "berlin" }, bearer(w.tokens.hana))).status,
    ).toBe(201);
    const moved = await w.api.send(`/v1/employees/${emma.employeeId}`, {
      method: "PATCH",
      headers: { ...bearer(w.tokens.hana), "Content-Type": "application/json" },
      body: JSON.stringify({ holiday_calendar: "berlin" }),
    });
    expect(moved.status).toBe(200);

    const recorded = await post<{ status: string; employee_name: string; submitted_by: string }>(
      "/v1/requests",
      w.tokens.hana,
      {
        employee_id: eli.employeeId,
        policy_key: "sick",
        start_date: "2026-11-24",
        end_date: "2026-11-24",
      },
      201,
    );
    expect(recorded).toMatchObject({ status: "approved", employee_name: "Eli Employee", submitted_by: people.hana.userId });
    const out = await get<{ data: { employee_id: string; employee_name: string; days: { day: string; category: string }[] }[] }>(
      "/v1/absences?from=2026-11-23&to=2026-11-27&scope=tenant",
      w.tokens.hana,
    );
    expect(out.data.find((p) => p.employee_id === eli.employeeId)).toMatchObject({
      employee_name: "Eli Employee",
      days: [{ day: "2026-11-24", category: "sick" }],
    });
  });

  it("employee: has the year's allowance without any run, looks ahead, tries a request out and asks for it", async () => {
    const now = await get<{ balances: { policy_key: string; posted: number }[] }>("/v1/me/balances", w.tokens.emma);
    expect(now.balances.find((b) => b.policy_key === "vacation")).toMatchObject({ posted: 24 });
    const ahead = await get<{ forecast: boolean; balances: { policy_key: string; projected: number }[] }>(
      "/v1/me/balances?as_of=2027-01-31",
      w.tokens.emma,
    );
    expect(ahead.forecast).toBe(true);
    expect(ahead.balances.find((b) => b.policy_key === "vacation")).toMatchObject({ projected: 24 });

    // 8 to 12 March: Berlin's holiday on the 8th is not charged.
    const tried = await post<{ outcome: string; days: number; path: { kind: string }[] }>(
      "/v1/requests/simulations",
      w.tokens.emma,
      { policy_key: "vacation", start_date: "2027-03-08", end_date: "2027-03-12", until: "2027-03-31" },
      200,
    );
    expect(tried).toMatchObject({ outcome: "pending", days: 4 });
    expect(tried.path.map((s) => s.kind)).toContain("carryover_out");

    emmasRequest = await post(
      "/v1/requests",
      w.tokens.emma,
      { policy_key: "vacation", start_date: "2027-03-08", end_date: "2027-03-12", reason: "Family visit" },
      201,
    );
    expect(emmasRequest).toMatchObject({ status: "pending", days: 4 });
    await post(`/v1/requests/${emmasRequest.id}/comments`, w.tokens.emma, { body: "Could swap with Eli if needed" }, 201);
  });

  it("manager: sees names, records a sick day for a report, comments and approves", async () => {
    const inbox = await get<{ data: { id: string; employee_name: string; reason: string }[] }>("/v1/approvals", w.tokens.mike);
    expect(inbox.data.find((r) => r.id === emmasRequest.id)).toMatchObject({ employee_name: "Emma Employee", reason: "Family visit" });
    const team = await get<{ data: { employee_id: string; employee_name: string }[] }>("/v1/team/balances", w.tokens.mike);
    expect(team.data.map((e) => e.employee_name).sort()).toEqual(["Eli Employee", "Emma Employee"]);

    const sickDay = await post<{ status: string }>(
      "/v1/requests",
      w.tokens.mike,
      { employee_id: emma.employeeId, policy_key: "sick", start_date: "2026-11-25", end_date: "2026-11-25" },
      201,
    );
    expect(sickDay.status).toBe("approved");
    // Not for someone who is not their report, nor a vacation day.
    await expectError(
      await w.post("/v1/requests", w.tokens.mike, {
        employee_id: people.hana.employeeId,
        policy_key: "sick",
        start_date: "2026-11-25",
        end_date: "2026-11-25",
      }),
      404,
      "RESOURCE_NOT_FOUND",
    );
    await expectError(
      await w.post("/v1/requests", w.tokens.mike, {
        employee_id: emma.employeeId,
        policy_key: "vacation",
        start_date: "2026-11-26",
        end_date: "2026-11-26",
      }),
      403,
      "FORBIDDEN",
    );

    await post(`/v1/requests/${emmasRequest.id}/comments`, w.tokens.mike, { body: "Fine by me" }, 201);
    beforeApproval = new Date(w.api.clock.nowMs).toISOString();
    w.api.clock.advance(60_000);
    expect((await w.decide(w.tokens.mike, emmasRequest.id, "approve")).status).toBe(200);
  });

  it("auditor: reads the thread, the balances now and as they were, and the audit trail; changes nothing", async () => {
    const thread = await get<{ data: { author_name: string; body: string }[] }>(`/v1/requests/${emmasRequest.id}/comments`, w.tokens.ada);
    expect(thread.data.map((c) => [c.author_name, c.body])).toEqual([
      ["Emma Employee", "Could swap with Eli if needed"],
      ["Mike Manager", "Fine by me"],
    ]);
    await expectError(await w.post(`/v1/requests/${emmasRequest.id}/comments`, w.tokens.ada, { body: "noted" }), 403, "FORBIDDEN");

    const balancesOf = async (query: string) =>
      (
        await get<{ balances: { policy_key: string; posted: number; pending: number }[] }>(
          `/v1/employees/${emma.employeeId}/balances${query}`,
          w.tokens.ada,
        )
      ).balances.find((b) => b.policy_key === "vacation");
    expect(await balancesOf("")).toMatchObject({ posted: 20, pending: 0 });
    expect(await balancesOf(`?known_at=${encodeURIComponent(beforeApproval)}`)).toMatchObject({ posted: 24, pending: 4 });

    const csv = await w.api.send("/v1/reports/balances?policy_key=vacation", { headers: { ...bearer(w.tokens.ada), Accept: "text/csv" } });
    expect(csv.status).toBe(200);
    expect(await csv.text()).toContain(`${emma.employeeId},Emma Employee,vacation,day,tracked,20,`);

    const audit = await get<{ data: { action: string; details: Record<string, unknown> }[] }>(
      "/v1/audit?action=request.approve&limit=50",
      w.tokens.ada,
    );
    expect(audit.data.filter((a) => a.details.automatic === true)).toHaveLength(2);
    expect(audit.data.filter((a) => a.details.automatic !== true)).toHaveLength(1);
    await expectError(
      await w.post("/v1/requests", w.tokens.ada, {
        employee_id: eli.employeeId,
        policy_key: "sick",
        start_date: "2026-11-26",
        end_date: "2026-11-26",
      }),
      403,
      "FORBIDDEN",
    );
  });

  it("later: HR adds an office holiday on approved leave, the employee sees why; the manager away hands approvals to a colleague", async () => {
    // Wednesday 10 March 2027 becomes a Berlin holiday: Emma's approved week is charged 3 days, not 4.
    const added = await post<{ corrections: { request_id: string; days_after: number; below_allowance: boolean }[] }>(
      "/v1/holidays",
      w.tokens.hana,
      { day: "2027-03-10", name: "Company day", calendar: "berlin" },
      201,
    );
    expect(added.corrections).toMatchObject([{ request_id: emmasRequest.id, days_after: 3, below_allowance: false }]);
    const corrected = await get<{ days: number; corrections: { reason: string; amount_change: number }[] }>(
      `/v1/requests/${emmasRequest.id}`,
      w.tokens.emma,
    );
    expect(corrected).toMatchObject({
      days: 3,
      corrections: [{ reason: "2027-03-10 (Company day) became a holiday of calendar berlin", amount_change: -1 }],
    });

    // Mike is away for a week: Eli decides in his place, and the decision says so.
    await post(
      "/v1/delegations",
      w.tokens.mike,
      { delegate_id: eli.employeeId, ends_at: new Date(w.api.clock.nowMs + 7 * 86_400_000).toISOString() },
      201,
    );
    const next = await post<{ id: string }>(
      "/v1/requests",
      w.tokens.emma,
      { policy_key: "vacation", start_date: "2027-04-06", end_date: "2027-04-06" },
      201,
    );
    const inbox = await get<{ data: { id: string }[] }>("/v1/approvals", w.tokens.eli);
    expect(inbox.data.map((r) => r.id)).toEqual([next.id]);
    const decided = await post<{ status: string; approvals: { on_behalf_of_name: string | null }[] }>(
      `/v1/requests/${next.id}/approve`,
      w.tokens.eli,
      {},
      200,
    );
    expect(decided).toMatchObject({ status: "approved", approvals: [{ on_behalf_of_name: "Mike Manager" }] });
  });
});
