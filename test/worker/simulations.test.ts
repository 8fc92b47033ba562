/**
 * What-if (POST /v1/requests/simulations): what a request would cost and do, and the balance's path to a date,
 * written nowhere; held against what the ledger really posts once the months pass.
 * The test clock starts on Tuesday 2026-11-24.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const emma = people.emma.employeeId;
const eli = people.eli.employeeId;
// 2 days a month (September to November posted with the assignment: 6), at most 5 carried into a year, for 2 months.
const POLICY = { accrual: { period: "monthly", amount: 2 }, carryover: { cap: 5, expiry_months: 2 }, approval_ttl_hours: 24 * 30 };

type Simulation = {
  outcome: string;
  refusal: { code: string } | null;
  available_now: number | null;
  days: number;
  amount: number;
  today: string;
  until: string;
  path: { date: string; kind: string; amount: number; balance: number; projected: boolean }[];
  closing_balance: number;
  lowest: { date: string; balance: number };
  below_allowance: boolean | null;
};

type World = Awaited<ReturnType<typeof ledgerWorld>>;

async function simulate(w: World, token: string, body: Record<string, unknown>) {
  const res = await w.api.postJson("/v1/requests/simulations", { policy_key: w.policyKey, ...body }, bearer(token));
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Simulation;
}

const ledgerCounts = async () =>
  (
    await superuserSql()`select (select count(*) from ledger_entries)::int as entries, (select count(*) from leave_requests)::int as requests,
      (select count(*) from booked_days)::int as booked, (select count(*) from audit_log)::int as audit, (select count(*) from idempotency_keys)::int as keys`
  )[0];

describe("simulating a request", () => {
  it("draws the path to a date — accruals, the request, the year-end rollover, carried days expiring — and writes nothing", async () => {
    const w = await ledgerWorld({ policy: POLICY, startsOn: "2026-09-01", assign: [emma] });
    const before = await ledgerCounts();
    const sim = await simulate(w, w.tokens.emma, { start_date: "2026-12-14", end_date: "2026-12-18", until: "2027-03-31" });
    expect(await ledgerCounts()).toEqual(before);
    expect(sim).toMatchObject({
      outcome: "pending",
      refusal: null,
      available_now: 6,
      days: 5,
      amount: 5,
      today: "2026-11-24",
      until: "2027-03-31",
    });
    expect(sim.path.map((s) => [s.date, s.kind, s.amount, s.balance])).toEqual([
      ["2026-11-24", "opening", 6, 6],
      ["2026-12-01", "accrual", 2, 8],
      ["2026-12-14", "request", -1, 7],
      ["2026-12-15", "request", -1, 6],
      ["2026-12-16", "request", -1, 5],
      ["2026-12-17", "request", -1, 4],
      ["2026-12-18", "request", -1, 3],
      // 3 left on 31 December: all of it carried (the cap is 5), into 1 January.
      ["2026-12-31", "carryover_out", -3, 0],
      ["2027-01-01", "carryover_in", 3, 3],
      ["2027-01-01", "accrual", 2, 5],
      ["2027-02-01", "accrual", 2, 7],
      // Two months on, the carried days not used by then expire, before that day's accrual.
      ["2027-03-01", "expiry", -3, 4],
      ["2027-03-01", "accrual", 2, 6],
    ]);
    expect(sim.path.filter((s) => !s.projected).map((s) => s.kind)).toEqual(["opening"]);
    expect(sim).toMatchObject({ closing_balance: 6, lowest: { date: "2026-12-31", balance: 0 }, below_allowance: false });

    // Now for real: submitted, approved, the months pass, accruals and the rollover run. The ledger says the same.
    const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-14", end_date: "2026-12-18" });
    expect((await w.decide(w.tokens.mike, request.id, "approve")).status).toBe(200);
    w.api.clock.nowMs = Date.parse("2027-01-02T12:00:00Z");
    await w.signInAgain();
    await w.accrue();
    expect((await w.post("/v1/rollovers", w.tokens.sam, { year: 2026, dry_run: false })).status).toBe(200);
    w.api.clock.nowMs = Date.parse("2027-03-31T12:00:00Z");
    await w.signInAgain();
    await w.accrue();
    // Each day's last step is the balance the ledger now has as of that day.
    const lastOfDay = new Map(sim.path.map((s) => [s.date, s.balance]));
    for (const [day, balance] of lastOfDay) expect((await w.balance(w.tokens.emma, emma, day)).posted, day).toBe(balance);
  });

  it("says what a submission would answer: refused for the balance or booked days, approved at once without approvers", async () => {
    const w = await ledgerWorld({ policy: { ...POLICY, negative_allowance: 1 }, startsOn: "2026-09-01", assign: [emma, eli] });
    // 8 days cost more than the 6 posted plus 1 allowed below zero, though accruals would cover them by February.
    const tooMuch = await simulate(w, w.tokens.emma, { start_date: "2027-02-01", end_date: "2027-02-10", until: "2027-02-28" });
    expect(tooMuch).toMatchObject({ outcome: "refused", refusal: { code: "INSUFFICIENT_BALANCE" }, available_now: 7, amount: 8 });
    expect(tooMuch.path.at(-1)).toMatchObject({ date: "2027-02-10", kind: "request" });

    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    const overlapping = await simulate(w, w.tokens.emma, { start_date: "2026-12-08", end_date: "2026-12-09" });
    expect(overlapping).toMatchObject({ outcome: "refused", refusal: { code: "CONFLICT" } });
    // The pending request counts on the path as if approved; the default path ends with the end date's year.
    expect(overlapping.until).toBe("2026-12-31");
    expect(overlapping.path.filter((s) => s.kind === "pending").map((s) => [s.date, s.amount])).toEqual([
      ["2026-12-07", -1],
      ["2026-12-08", -1],
    ]);

    // A path that would go below the negative allowance (1) says so: Eli's 6 days, 2 more in December, 9 or 10 days off.
    const toAllowance = await simulate(w, w.tokens.eli, { start_date: "2026-11-25", end_date: "2026-12-07", until: "2026-12-30" });
    expect(toAllowance).toMatchObject({
      outcome: "refused",
      closing_balance: -1,
      lowest: { date: "2026-12-07", balance: -1 },
      below_allowance: false,
    });
    const below = await simulate(w, w.tokens.eli, { start_date: "2026-11-25", end_date: "2026-12-08", until: "2026-12-30" });
    expect(below).toMatchObject({ closing_balance: -2, below_allowance: true });

    const sick = {
      key: "sick",
      name: "Sick",
      category: "sick",
      unit: "day",
      tracking: "untracked",
      approvals_required: 0,
      effective_from: "2020-01-01",
    };
    expect((await w.api.postJson("/v1/policies", sick, bearer(w.tokens.hana))).status).toBe(201);
    expect(
      (await w.api.postJson("/v1/policies/sick/assignments", { employee_ids: [emma], starts_on: "2026-01-01" }, bearer(w.tokens.hana)))
        .status,
    ).toBe(200);
    const untracked = await simulate(w, w.tokens.emma, { policy_key: "sick", start_date: "2026-11-25", end_date: "2026-11-25" });
    expect(untracked).toMatchObject({ outcome: "approved", available_now: null, below_allowance: null, closing_balance: -1 });
  });

  it("refuses what could not be requested at all, for whom the caller may not ask, and bad input, as submitting does", async () => {
    const w = await ledgerWorld({ policy: POLICY, startsOn: "2026-09-01", assign: [emma] });
    const send = (token: string, body: Record<string, unknown>) =>
      w.api.postJson(
        "/v1/requests/simulations",
        { policy_key: w.policyKey, start_date: "2026-12-07", end_date: "2026-12-08", ...body },
        bearer(token),
      );
    await expectError(await send(w.tokens.eli, {}), 422, "NOT_ELIGIBLE");
    await expectError(await send(w.tokens.emma, { employee_id: eli }), 404, "RESOURCE_NOT_FOUND");
    await expectError(await send(w.tokens.emma, { start_date: "2026-12-05", end_date: "2026-12-06" }), 400, "VALIDATION_FAILED");
    await expectError(await send(w.tokens.emma, { policy_key: "nope" }), 404, "RESOURCE_NOT_FOUND");
    for (const body of [
      { until: "2026-12-01" },
      { until: "2030-12-31" },
      { until: "2026-13-01" },
      { end_date: "2026-12-01" },
      { extra: 1 },
      // Further than 3 years ahead is not projected.
      { start_date: "2029-12-03", end_date: "2029-12-03" },
      { until: "2029-12-01" },
    ]) {
      const refused = await expectError(await send(w.tokens.emma, body), 400, "VALIDATION_FAILED");
      expect(refused.details.issues, JSON.stringify(body)).toBeDefined();
    }
    // A path may not end before the employee's today, even for a request in the past.
    const past = await expectError(
      await send(w.tokens.emma, { start_date: "2026-11-02", end_date: "2026-11-02", until: "2026-11-20" }),
      400,
      "VALIDATION_FAILED",
    );
    expect(past.details.issues).toEqual([expect.objectContaining({ path: "until" })]);
    // HR may simulate on someone's behalf, as they may record.
    expect((await send(w.tokens.hana, { employee_id: emma })).status).toBe(200);
    // An auditor has no request:submit.
    await expectError(await send(w.tokens.ada, { employee_id: emma }), 403, "FORBIDDEN");
    // Nor past the end of the employment, as a submission would be refused.
    expect((await w.post(`/v1/employees/${emma}/termination`, w.tokens.hana, { end_date: "2026-12-31" })).status).toBe(200);
    const ended = await expectError(await send(w.tokens.emma, { start_date: "2027-01-04", end_date: "2027-01-04" }), 422, "NOT_ELIGIBLE");
    expect(ended.details).toMatchObject({ employment_ends: "2026-12-31" });
  });
});
