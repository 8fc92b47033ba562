/**
 * Yearly allowances granted up front: on 1 January or the hire date's anniversary, prorated for a year the
 * employee is eligible for only part of (half up to half a day in the unit), posted as soon as the assignment
 * starts, settled to the last day when the employment ends. The test clock starts on Tuesday 2026-11-24.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

// Emma: Berlin, hired 2022-09-01. Eli: Tokyo, hired 2023-04-10.
const emma = people.emma.employeeId;
const eli = people.eli.employeeId;
const CALENDAR = { accrual: { period: "yearly", amount: 20 } };
const ANNIVERSARY = { accrual: { period: "yearly", amount: 20, year: "anniversary" } };

type World = Awaited<ReturnType<typeof ledgerWorld>>;

const accruals = async (w: World, employeeId: string) =>
  (await w.entries(w.tokens.hana, `&employee_id=${employeeId}&kind=accrual`)).map((e) => [e.effective_date, e.amount]);

async function assign(w: World, employeeIds: string[], startsOn: string) {
  const res = await w.api.postJson(
    `/v1/policies/${w.policyKey}/assignments`,
    { employee_ids: employeeIds, starts_on: startsOn },
    bearer(w.tokens.hana),
  );
  expect(res.status, await res.clone().text()).toBe(200);
}

describe("yearly allowances", () => {
  it("are posted when the assignment is made, without an accrual run, as one audited run", async () => {
    const w = await ledgerWorld({ policy: CALENDAR, assign: [emma, eli], startsOn: "2026-01-01" });
    expect(await accruals(w, emma)).toEqual([["2026-01-01", 20]]);
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 20, available: 20 });
    const runs = await superuserSql()`select r.id::text, r.summary, a.action, a.details from ledger_runs r
      join audit_log a on a.target_id = r.id::text where r.kind = 'accrual'`;
    expect(runs).toEqual([
      expect.objectContaining({
        summary: expect.objectContaining({ policy_key: "pto", accruals: 2, amount: 40 }),
        action: "accrual.run",
        details: expect.objectContaining({ assignment: true, accruals: 2 }),
      }),
    ]);
    // The run has nothing left to post; the next year comes with its first day, in the employee's time zone.
    expect(await w.accrue()).toMatchObject({ accruals: 0 });
    w.api.clock.nowMs = Date.parse("2026-12-31T22:59:00Z"); // 1 January in Tokyo, not yet in Berlin
    await w.signInAgain();
    expect(await w.accrue()).toMatchObject({ accruals: 1 });
    expect(await accruals(w, eli)).toEqual([
      ["2026-01-01", 20],
      ["2027-01-01", 20],
    ]);
    w.api.clock.nowMs = Date.parse("2026-12-31T23:00:00Z"); // midnight in Berlin
    await w.signInAgain();
    expect(await w.accrue()).toMatchObject({ accruals: 1 });
    expect(await accruals(w, emma)).toEqual([
      ["2026-01-01", 20],
      ["2027-01-01", 20],
    ]);
  });

  it("prorate a year the assignment starts in, half up to half a day in the policy's unit", async () => {
    const w = await ledgerWorld({ policy: CALENDAR, assign: [emma], startsOn: "2026-07-01" });
    // 1 July to 31 December is 184 of 365 days: 20 × 184 / 365 = 10.08 → 10.
    expect(await accruals(w, emma)).toEqual([["2026-07-01", 10]]);

    // In hours (half a day is 4 hours): 73 hours × 10 days / 365 = 2 hours, exactly half of 4, rounds up to 4.
    expect(
      (
        await w.api.postJson(
          "/v1/policies",
          { key: "hours", name: "Hours", unit: "hour", accrual: { period: "yearly", amount: 73 }, effective_from: "2020-01-01" },
          bearer(w.tokens.hana),
        )
      ).status,
    ).toBe(201);
    const res = await w.api.postJson(
      "/v1/policies/hours/assignments",
      { employee_ids: [eli], starts_on: "2025-12-22" },
      bearer(w.tokens.hana),
    );
    expect(res.status).toBe(200);
    const hours = await w.entries(w.tokens.hana, `&employee_id=${eli}&kind=accrual&policy_key=hours`);
    expect(hours.map((e) => [e.effective_date, e.amount])).toEqual([
      ["2025-12-22", 4],
      ["2026-01-01", 73],
    ]);
  });

  it("prorate the year the waiting period ends in, from the day after it", async () => {
    const w = await ledgerWorld({ policy: { ...CALENDAR, waiting_period_days: 100 }, assign: [], startsOn: "2026-01-01" });
    const patched = await w.api.send(`/v1/employees/${emma}`, {
      method: "PATCH",
      headers: { ...bearer(w.tokens.hana), "Content-Type": "application/json" },
      body: JSON.stringify({ hire_date: "2026-06-01" }),
    });
    expect(patched.status).toBe(200);
    await assign(w, [emma], "2026-06-01");
    // Eligible from 9 September (1 June + 100 days): 114 of 365 days, 20 × 114 / 365 = 6.25 → 6.
    expect(await accruals(w, emma)).toEqual([["2026-09-09", 6]]);
  });

  it("follow the hire date's anniversary, prorating the part of a year before the assignment", async () => {
    const w = await ledgerWorld({ policy: ANNIVERSARY, assign: [emma, eli], startsOn: "2026-01-01" });
    // Emma's years begin on 1 September: 2026-01-01 to 2026-08-31 is 243 of 365 days (13.3 → 13.5), then a whole year.
    expect(await accruals(w, emma)).toEqual([
      ["2026-01-01", 13.5],
      ["2026-09-01", 20],
    ]);
    // Eli's begin on 10 April: 2026-01-01 to 2026-04-09 is 99 of 365 days (5.42 → 5.5).
    expect(await accruals(w, eli)).toEqual([
      ["2026-01-01", 5.5],
      ["2026-04-10", 20],
    ]);
    // Eli's next year begins at midnight of 10 April in Tokyo (15:00 UTC the day before).
    for (const [at, count] of [
      ["2027-04-09T14:59:00Z", 2],
      ["2027-04-09T15:00:00Z", 3],
    ] as const) {
      w.api.clock.nowMs = Date.parse(at);
      await w.signInAgain();
      await w.accrue();
      expect(await accruals(w, eli), at).toHaveLength(count);
    }
    expect((await accruals(w, eli)).at(-1)).toEqual(["2027-04-10", 20]);
    expect(await accruals(w, emma)).toHaveLength(2);
  });

  it("are settled to the last day when the employment ends", async () => {
    const w = await ledgerWorld({ policy: CALENDAR, assign: [emma], startsOn: "2026-01-01" });
    await assign(w, [eli], "2026-07-01");
    const end = async (id: string, endDate: string) => {
      const res = await w.post(`/v1/employees/${id}/termination`, w.tokens.hana, { end_date: endDate });
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as { final_balances: { posted: number }[] };
    };
    // Emma: 1 January to 30 June is 181 of 365 days, 20 × 181 / 365 = 9.92 → 10.
    expect((await end(emma, "2026-06-30")).final_balances).toEqual([expect.objectContaining({ posted: 10 })]);
    // Eli joined the policy on 1 July (10 days) and left on 30 September: 92 of 365 days, 20 × 92 / 365 = 5.04 → 5.
    expect((await end(eli, "2026-09-30")).final_balances).toEqual([expect.objectContaining({ posted: 5 })]);
    const corrections = async (id: string) =>
      (await w.entries(w.tokens.hana, `&employee_id=${id}&kind=adjustment`)).map((e) => [e.effective_date, e.amount]);
    expect(await corrections(emma)).toEqual([["2026-01-01", -10]]);
    expect(await corrections(eli)).toEqual([["2026-07-01", -5]]);
    // The next year never comes for them.
    w.api.clock.nowMs = Date.parse("2027-01-02T12:00:00Z");
    await w.signInAgain();
    expect(await w.accrue()).toMatchObject({ accruals: 0 });
  });

  it("wait for an assignment that starts later, and catch up a backdated one's missed years", async () => {
    const w = await ledgerWorld({ policy: CALENDAR, assign: [emma], startsOn: "2027-01-01" });
    await assign(w, [eli], "2024-01-01");
    expect(await accruals(w, emma)).toEqual([]);
    expect((await accruals(w, eli)).map(([day]) => day)).toEqual(["2024-01-01", "2025-01-01", "2026-01-01"]);
    w.api.clock.nowMs = Date.parse("2027-01-01T12:00:00Z");
    await w.signInAgain();
    expect(await w.accrue()).toMatchObject({ accruals: 2 });
    expect(await accruals(w, emma)).toEqual([["2027-01-01", 20]]);
  });

  it("number anniversary years from the hire date; a 29 February hire's years begin on 28 February otherwise", async () => {
    const period = async (day: string) =>
      (
        await superuserSql()`select label, starts_on::text, ends_on::text from app.accrual_period('yearly', 'anniversary', '2024-02-29', ${day}::date)`
      )[0];
    expect(await period("2027-02-27")).toEqual({ label: "anniversary-2", starts_on: "2026-02-28", ends_on: "2027-02-27" });
    expect(await period("2028-02-28")).toEqual({ label: "anniversary-3", starts_on: "2027-02-28", ends_on: "2028-02-28" });
    expect(await period("2028-02-29")).toEqual({ label: "anniversary-4", starts_on: "2028-02-29", ends_on: "2029-02-27" });
    expect(await period("2024-02-29")).toEqual({ label: "anniversary-0", starts_on: "2024-02-29", ends_on: "2025-02-27" });
  });

  it("keep where their year begins across revisions; only yearly policies have an anniversary year", async () => {
    const w = await ledgerWorld({ policy: ANNIVERSARY, assign: [] });
    const revise = (accrual: unknown) =>
      w.api.postJson(
        `/v1/policies/${w.policyKey}/versions`,
        { name: "PTO", unit: "day", accrual, effective_from: "2027-01-01" },
        bearer(w.tokens.hana),
      );
    const refused = await expectError(await revise({ period: "yearly", amount: 25 }), 409, "CONFLICT");
    expect(refused.details).toMatchObject({ year: "anniversary" });
    await expectError(await revise({ period: "monthly", amount: 2, year: "anniversary" }), 400, "VALIDATION_FAILED");
    const revised = await revise({ period: "yearly", amount: 25, year: "anniversary" });
    expect(revised.status).toBe(201);
    expect(((await revised.json()) as { accrual: unknown }).accrual).toEqual({ period: "yearly", amount: 25, year: "anniversary" });
  });
});
