/**
 * The end of an employment (POST /v1/employees/{id}/termination): what was planned after the last day is undone,
 * accruals are prorated to it, the final balance is reported, and nothing reaches past it afterwards.
 * The test clock starts on Tuesday 2026-11-24.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld, newKey } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const emma = people.emma.employeeId;
const MONTHLY = { accrual: { period: "monthly", amount: 2 } };
const DAY = 86_400_000;

type Report = {
  employee_id: string;
  end_date: string;
  cancelled_request_ids: string[];
  reversed_entries: number;
  accrual_corrections: number;
  final_balances: { policy_key: string; unit: string; posted: number; pending: number }[];
};

/** Emma with monthly accruals since October (2 days each, posted for October and November by the assignment) and 10 days granted. */
async function emmaWithAccruals() {
  const w = await ledgerWorld({ policy: MONTHLY, startsOn: "2026-10-01", assign: [emma], grant: 10 });
  expect((await w.entries(w.tokens.hana, `&employee_id=${emma}&kind=accrual`)).map((e) => e.effective_date)).toEqual([
    "2026-10-01",
    "2026-11-01",
  ]);
  const terminate = (endDate: string, token = w.tokens.hana, key = newKey(), id = emma) =>
    w.post(`/v1/employees/${id}/termination`, token, { end_date: endDate }, key);
  const ended = async (endDate: string) => {
    const res = await terminate(endDate);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Report;
  };
  return { w, terminate, ended };
}

const statusOf = async (id: string) =>
  ((await superuserSql()`select status from leave_requests where id = ${id}`) as [{ status: string }])[0].status;

describe("ending an employment", () => {
  it("cancels pending requests after the last day, reverses approved days after it, prorates the accrual, reports the balance", async () => {
    const { w, ended } = await emmaWithAccruals();
    const straddling = await w.submitted(w.tokens.emma, { start_date: "2026-11-25", end_date: "2026-11-27" });
    const later = await w.submitted(w.tokens.emma, { start_date: "2026-12-14", end_date: "2026-12-14" });
    const pending = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
    for (const id of [straddling.id, later.id]) expect((await w.decide(w.tokens.mike, id, "approve")).status).toBe(200);

    const report = await ended("2026-11-26");
    // November: 2 days for 26 of its 30 days = 1.733…, rounded half up to half a day: 1.5.
    expect(report).toEqual({
      employee_id: emma,
      end_date: "2026-11-26",
      cancelled_request_ids: [pending.id, later.id],
      reversed_entries: 2,
      accrual_corrections: 1,
      final_balances: [{ policy_key: w.policyKey, unit: "day", posted: 10 + 2 + 1.5 - 2, pending: 0 }],
    });
    expect(await w.balance(w.tokens.hana, emma)).toMatchObject({ posted: 11.5, pending: 0 });
    expect([await statusOf(straddling.id), await statusOf(later.id), await statusOf(pending.id)]).toEqual([
      "approved",
      "cancelled",
      "cancelled",
    ]);
    const entries = await w.entries(w.tokens.hana, `&employee_id=${emma}`);
    expect(entries.filter((e) => e.kind === "reversal").map((e) => e.effective_date)).toEqual(["2026-11-27", "2026-12-14"]);
    expect(entries.filter((e) => e.kind === "adjustment").map((e) => [e.amount, e.effective_date])).toEqual([[-0.5, "2026-11-01"]]);
    const [{ booked }] =
      (await superuserSql()`select count(*)::int as booked from booked_days where employee_id = ${emma} and day > '2026-11-26'`) as [
        { booked: number },
      ];
    expect(booked).toBe(0);
    // Not yet started, the partly reversed request can still be cancelled: its other days are reversed, none twice.
    expect((await w.cancel(w.tokens.emma, straddling.id)).status).toBe(200);
    expect(await w.balance(w.tokens.hana, emma)).toMatchObject({ posted: 13.5 });
    const [audit] = (await superuserSql()`select actor_id, target_id, details from audit_log where action = 'employee.terminate'`) as [
      { actor_id: string; target_id: string; details: Record<string, unknown> },
    ];
    expect(audit).toMatchObject({
      actor_id: people.hana.userId,
      target_id: emma,
      details: { end_date: "2026-11-26", reversed_entries: 2 },
    });
  });

  it("nothing reaches past the last day afterwards: no request, no accrual", async () => {
    const { w, ended } = await emmaWithAccruals();
    await ended("2026-12-15");
    const refused = await expectError(
      await w.submit(w.tokens.emma, { start_date: "2026-12-15", end_date: "2026-12-16" }),
      422,
      "NOT_ELIGIBLE",
    );
    expect(refused.details).toMatchObject({ employment_ends: "2026-12-15" });
    expect((await w.submit(w.tokens.emma, { start_date: "2026-12-14", end_date: "2026-12-15" })).status).toBe(201);

    // December was not due when the end was recorded: its run posts it cut to 15 of 31 days (0.97 → 1), and never January.
    w.api.clock.advance(40 * DAY); // → 2027-01-03
    await w.signInAgain();
    expect(await w.accrue()).toMatchObject({ accruals: 1 });
    expect(await w.accrue()).toMatchObject({ accruals: 0 });
    const accruals = (await w.entries(w.tokens.hana, `&employee_id=${emma}`)).filter(
      (e) => e.kind === "accrual" || e.kind === "adjustment",
    );
    expect(accruals.map((e) => [e.kind, e.amount, e.effective_date])).toEqual([
      ["accrual", 2, "2026-10-01"],
      ["accrual", 2, "2026-11-01"],
      ["accrual", 1, "2026-12-01"],
    ]);
  });

  it("a date in the past takes back later periods' accruals; the same date again changes nothing; an earlier one applies the difference", async () => {
    const { w, terminate, ended } = await emmaWithAccruals();
    const approved = await w.submitted(w.tokens.emma, { start_date: "2026-11-25", end_date: "2026-11-25" });
    expect((await w.decide(w.tokens.mike, approved.id, "approve")).status).toBe(200);

    const first = await ended("2026-11-10");
    // November: 2 × 10/30 = 0.67 → 0.5; October untouched.
    expect(first).toMatchObject({ cancelled_request_ids: [approved.id], reversed_entries: 1, accrual_corrections: 1 });
    expect(first.final_balances[0]!.posted).toBe(10 + 2 + 0.5);

    const key = newKey();
    const again = await terminate("2026-11-10", w.tokens.hana, key);
    expect(await again.json()).toMatchObject({
      cancelled_request_ids: [],
      reversed_entries: 0,
      accrual_corrections: 0,
      final_balances: first.final_balances,
    });
    const replay = await terminate("2026-11-10", w.tokens.hana, key);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");

    const earlier = await ended("2026-10-20");
    // October: 2 × 20/31 = 1.29 → 1.5; November: nothing.
    expect(earlier).toMatchObject({ accrual_corrections: 2, final_balances: [expect.objectContaining({ posted: 10 + 1.5 })] });
    const later = await expectError(await terminate("2026-11-30"), 409, "CONFLICT");
    expect(later.details).toMatchObject({ end_date: "2026-10-20" });
    const [{ end_date }] = (await superuserSql()`select end_date::text from employees where id = ${emma}`) as [{ end_date: string }];
    expect(end_date).toBe("2026-10-20");
  });

  it("only HR Admins and System Admins, for those they may manage, never themselves; bad dates are a 400; nothing changes", async () => {
    const { w, terminate } = await emmaWithAccruals();
    const before = await superuserSql()`select id, end_date from employees order by id`;
    await expectError(await terminate("2026-12-31", w.tokens.hana, newKey(), people.sam.employeeId), 403, "FORBIDDEN");
    await expectError(await terminate("2026-12-31", w.tokens.hana, newKey(), people.hana.employeeId), 409, "CONFLICT");
    await expectError(await terminate("2026-12-31", w.tokens.mike), 403, "FORBIDDEN");
    await expectError(await terminate("2026-12-31", w.tokens.ada), 403, "FORBIDDEN");
    await expectError(await terminate("2026-12-31", w.tokens.hana, newKey(), people.gus.employeeId), 404, "RESOURCE_NOT_FOUND");
    const early = await expectError(await terminate("2022-08-31"), 400, "VALIDATION_FAILED");
    expect(early.details.issues).toEqual([expect.objectContaining({ path: "end_date" })]);
    for (const bad of ["2026-02-30", "0000-01-01", "tomorrow"]) await expectError(await terminate(bad), 400, "VALIDATION_FAILED");
    const noKey = await w.api.postJson(`/v1/employees/${emma}/termination`, { end_date: "2026-12-31" }, bearer(w.tokens.hana));
    await expectError(noKey, 400, "VALIDATION_FAILED");
    expect(await superuserSql()`select id, end_date from employees order by id`).toEqual(before);
    expect((await terminate("2026-12-31", w.tokens.sam, newKey(), people.hana.employeeId)).status).toBe(200);
  });

  it("the directory shows the end date, and people past it are no longer active", async () => {
    const { w, ended } = await emmaWithAccruals();
    await ended("2026-11-20");
    const list = async (query: string) => {
      const res = await w.api.send(`/v1/employees${query}`, { headers: bearer(w.tokens.hana) });
      return ((await res.json()) as { data: { id: string; end_date: string | null }[] }).data;
    };
    expect((await list("?active=false")).map((e) => [e.id, e.end_date])).toEqual([[emma, "2026-11-20"]]);
    expect((await list("?active=true")).map((e) => e.id)).not.toContain(emma);
  });
});

describe("ending an employment, under load and after edits", () => {
  it("submissions racing the termination are either refused or cancelled by it; none fails, none is left after the end", async () => {
    const { w, terminate } = await emmaWithAccruals();
    const days = ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10"];
    const [ended, ...submissions] = await Promise.all([
      terminate("2026-11-30"),
      ...days.map((day) => w.submit(w.tokens.emma, { start_date: day, end_date: day })),
    ]);
    expect(ended!.status, await ended!.clone().text()).toBe(200);
    for (const res of submissions) expect([201, 422], await res.clone().text()).toContain(res.status);
    const open =
      await superuserSql()`select id from leave_requests where employee_id = ${emma} and status in ('pending', 'approved') and end_date > '2026-11-30'`;
    expect(open).toEqual([]);
    const [{ booked }] =
      (await superuserSql()`select count(*)::int as booked from booked_days where employee_id = ${emma} and day > '2026-11-30'`) as [
        { booked: number },
      ];
    expect(booked).toBe(0);
  });

  it("a new hire date after the end is settled again by the next termination call; one after the end date is a 400", async () => {
    const { w, ended } = await emmaWithAccruals();
    await ended("2026-11-26");
    const patch = (change: unknown) =>
      w.api.send(`/v1/employees/${emma}`, {
        method: "PATCH",
        headers: { ...bearer(w.tokens.hana), "Content-Type": "application/json" },
        body: JSON.stringify(change),
      });
    const late = await expectError(await patch({ hire_date: "2026-11-27" }), 400, "VALIDATION_FAILED");
    expect(late.details.issues).toEqual([expect.objectContaining({ path: "hire_date" })]);
    expect((await patch({ hire_date: "2026-11-10" })).status).toBe(200);
    // November now counts 17 employed days of 30: 2 × 17/30 = 1.13 → 1; it netted 1.5, so −0.5 more.
    const again = await ended("2026-11-26");
    expect(again.accrual_corrections).toBe(1);
    const corrections = (await w.entries(w.tokens.hana, `&employee_id=${emma}&kind=adjustment`)).map((e) => e.amount);
    expect(corrections).toEqual([-0.5, -0.5]);
    expect(await w.accrue()).toMatchObject({ accruals: 0 });
  });
});
