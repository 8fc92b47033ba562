/**
 * Holiday corrections: adding or removing a holiday, or moving an employee to another calendar or work week,
 * reprices the open requests it touches in the same transaction — audited, shown on the request, and flagged to
 * HR when a balance ends below its negative allowance. The test clock starts on Tuesday 2026-11-24.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const { emma, eli } = people;
type World = Awaited<ReturnType<typeof ledgerWorld>>;
interface Correction {
  request_id: string;
  employee_name: string;
  status: string;
  days_before: number;
  days_after: number;
  amount_after: number;
  available: number | null;
  below_allowance: boolean;
  reason: string;
}
interface Change {
  day: string;
  corrections: Correction[];
}
interface Request {
  id: string;
  status: string;
  days: number;
  amount: number;
  resolved_at: string | null;
  corrections: { reason: string; amount_change: number; corrected_at: string }[];
}

const addHoliday = async (w: World, day: string, calendar = "default") => {
  const res = await w.api.postJson("/v1/holidays", { day, name: "Company day", calendar }, bearer(w.tokens.hana));
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Change;
};
const removeHoliday = async (w: World, day: string, calendar = "default") => {
  const res = await w.api.send(`/v1/holidays/${day}?calendar=${calendar}`, { method: "DELETE", headers: bearer(w.tokens.hana) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Change;
};
const patchEmployee = async (w: World, id: string, change: unknown) => {
  const res = await w.api.send(`/v1/employees/${id}`, {
    method: "PATCH",
    headers: { ...bearer(w.tokens.hana), "Content-Type": "application/json" },
    body: JSON.stringify(change),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { holiday_calendar: string; corrections: Correction[] };
};
const request = async (w: World, id: string, token = w.tokens.emma) => {
  const res = await w.api.send(`/v1/requests/${id}`, { headers: bearer(token) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Request;
};
const approved = async (w: World, token: string, start_date: string, end_date: string) => {
  const submitted = await w.submitted(token, { start_date, end_date });
  expect((await w.decide(w.tokens.mike, submitted.id, "approve")).status).toBe(200);
  return submitted;
};
const bookedDays = async (id: string) =>
  ((await superuserSql()`select distinct day::text from booked_days where request_id = ${id} order by 1`) as { day: string }[]).map(
    (r) => r.day,
  );
const corrections = async () =>
  (await superuserSql()`select target_id, details from audit_log where action = 'request.correct' order by id`) as {
    target_id: string;
    details: Record<string, unknown>;
  }[];

describe("holiday corrections", () => {
  it("a holiday added on approved leave gives the day back, removed charges it again; each audited and shown on the request", async () => {
    const w = await ledgerWorld({ grant: 10 });
    await patchEmployee(w, eli.employeeId, { holiday_calendar: "berlin" });
    const emmas = await approved(w, w.tokens.emma, "2026-12-07", "2026-12-11");
    const elis = await approved(w, w.tokens.eli, "2026-12-07", "2026-12-11");
    expect((await w.balance(w.tokens.hana, emma.employeeId)).posted).toBe(5);

    // Wednesday 9 December becomes a holiday of the default calendar: Emma's leave costs 4 days, Eli's (Berlin) 5.
    const added = await addHoliday(w, "2026-12-09");
    expect(added.corrections).toEqual([
      {
        request_id: emmas.id,
        employee_id: emma.employeeId,
        employee_name: "Emma Employee",
        policy_key: w.policyKey,
        unit: "day",
        status: "approved",
        days_before: 5,
        days_after: 4,
        amount_before: 5,
        amount_after: 4,
        available: 6,
        below_allowance: false,
        reason: "2026-12-09 (Company day) became a holiday of calendar default",
      },
    ]);
    expect(await w.balance(w.tokens.hana, emma.employeeId)).toMatchObject({ posted: 6, pending: 0, available: 6 });
    expect((await w.balance(w.tokens.hana, eli.employeeId)).posted).toBe(5);
    expect(await bookedDays(emmas.id)).toEqual(["2026-12-07", "2026-12-08", "2026-12-10", "2026-12-11"]);
    expect(await bookedDays(elis.id)).toHaveLength(5);

    // The employee sees why, on the request.
    const corrected = await request(w, emmas.id);
    expect(corrected).toMatchObject({ status: "approved", days: 4, amount: 4 });
    expect(corrected.corrections).toEqual([
      { corrected_at: expect.any(String), reason: "2026-12-09 (Company day) became a holiday of calendar default", amount_change: -1 },
    ]);
    // The day's usage is reversed by an entry that names it and says why.
    const [reversal] = (await superuserSql()`select r.amount::float, r.effective_date::text, r.system_note, u.kind as reverses
      from ledger_entries r join ledger_entries u on u.id = r.resolves_entry_id where r.request_id = ${emmas.id} and r.kind = 'reversal'`) as {
      amount: number;
      effective_date: string;
      system_note: string;
      reverses: string;
    }[];
    expect(reversal).toEqual({
      amount: 1,
      effective_date: "2026-12-09",
      system_note: "2026-12-09 (Company day) became a holiday of calendar default",
      reverses: "usage",
    });

    // Removed again: the day is charged again, with a second correction.
    const removed = await removeHoliday(w, "2026-12-09");
    expect(removed.corrections).toMatchObject([
      { request_id: emmas.id, days_before: 4, days_after: 5, available: 5, below_allowance: false },
    ]);
    expect((await w.balance(w.tokens.hana, emma.employeeId)).posted).toBe(5);
    expect((await request(w, emmas.id)).corrections.map((c) => c.amount_change)).toEqual([-1, 1]);
    expect(await bookedDays(emmas.id)).toHaveLength(5);
    // Every day of the leave is charged by exactly one standing usage entry.
    const standing = (await superuserSql()`select u.effective_date::text as day, u.amount::float from ledger_entries u
      where u.request_id = ${emmas.id} and u.kind = 'usage' and not exists (select 1 from ledger_entries x where x.resolves_entry_id = u.id)
      order by 1`) as { day: string; amount: number }[];
    expect(standing).toEqual(["07", "08", "09", "10", "11"].map((d) => ({ day: `2026-12-${d}`, amount: -1 })));

    const audit = await corrections();
    expect(audit.map((a) => a.target_id)).toEqual([emmas.id, emmas.id]);
    expect(audit[0]!.details).toMatchObject({
      days_before: 5,
      days_after: 4,
      below_allowance: false,
      reason: added.corrections[0]!.reason,
    });
    expect(audit[0]!.details).not.toHaveProperty("employee_name");

    // Cancelling the corrected leave before it starts gives back exactly what it is charged now.
    expect((await w.cancel(w.tokens.emma, emmas.id)).status).toBe(200);
    expect((await w.balance(w.tokens.hana, emma.employeeId)).posted).toBe(10);
  });

  it("a removal that takes a balance below its negative allowance is still posted, and flagged to HR in the answer and the audit", async () => {
    const w = await ledgerWorld({ grant: 4 });
    await addHoliday(w, "2026-12-09");
    const emmas = await approved(w, w.tokens.emma, "2026-12-07", "2026-12-11");
    expect(emmas.amount).toBe(4);

    const removed = await removeHoliday(w, "2026-12-09");
    expect(removed.corrections).toMatchObject([
      { request_id: emmas.id, status: "approved", days_after: 5, amount_after: 5, available: -1, below_allowance: true },
    ]);
    expect((await w.balance(w.tokens.hana, emma.employeeId)).posted).toBe(-1);
    expect((await corrections())[0]!.details).toMatchObject({ below_allowance: true, available: -1 });
    // A balance below zero refuses further requests as usual.
    await expectError(await w.submit(w.tokens.emma, { start_date: "2026-12-14", end_date: "2026-12-14" }), 422, "INSUFFICIENT_BALANCE");
  });

  it("a pending request's hold is replaced; one left without a working day is cancelled; the decision charges the corrected days", async () => {
    const w = await ledgerWorld({ grant: 10 });
    const single = await w.submitted(w.tokens.emma, { start_date: "2026-12-09", end_date: "2026-12-09" });
    const pair = await w.submitted(w.tokens.emma, { start_date: "2026-12-14", end_date: "2026-12-15" });
    expect((await w.balance(w.tokens.hana, emma.employeeId)).pending).toBe(3);

    const first = await addHoliday(w, "2026-12-09");
    expect(first.corrections).toMatchObject([
      { request_id: single.id, status: "cancelled", days_before: 1, days_after: 0, amount_after: 0 },
    ]);
    const cancelled = await request(w, single.id);
    expect(cancelled).toMatchObject({ status: "cancelled", days: 1, corrections: [{ amount_change: -1 }] });
    expect(cancelled.resolved_at).not.toBeNull();
    expect(await bookedDays(single.id)).toEqual([]);

    const second = await addHoliday(w, "2026-12-15");
    expect(second.corrections).toMatchObject([{ request_id: pair.id, status: "pending", days_before: 2, days_after: 1, available: 9 }]);
    expect(await w.balance(w.tokens.hana, emma.employeeId)).toMatchObject({ posted: 10, pending: 1, available: 9 });

    // Approval releases the replacement hold and charges the one day left.
    expect((await w.decide(w.tokens.mike, pair.id, "approve")).status).toBe(200);
    expect(await w.balance(w.tokens.hana, emma.employeeId)).toMatchObject({ posted: 9, pending: 0 });
    const holds =
      (await superuserSql()`select h.amount::float, exists (select 1 from ledger_entries x where x.resolves_entry_id = h.id) as resolved
      from ledger_entries h where h.request_id = ${pair.id} and h.kind = 'hold' order by h.id`) as { amount: number; resolved: boolean }[];
    expect(holds).toEqual([
      { amount: -2, resolved: true },
      { amount: -1, resolved: true },
    ]);
    // A cancelled request is not corrected again when the holiday goes.
    expect((await removeHoliday(w, "2026-12-09")).corrections).toEqual([]);
  });

  it("an employee moved to another calendar or work week has their open requests repriced from their today on", async () => {
    const w = await ledgerWorld({ grant: 10 });
    await addHoliday(w, "2026-12-08", "berlin");
    const emmas = await approved(w, w.tokens.emma, "2026-12-07", "2026-12-11");

    const moved = await patchEmployee(w, emma.employeeId, { holiday_calendar: "berlin" });
    expect(moved).toMatchObject({ holiday_calendar: "berlin", corrections: [{ request_id: emmas.id, days_before: 5, days_after: 4 }] });
    expect(await request(w, emmas.id)).toMatchObject({
      days: 4,
      corrections: [{ reason: "The employee now follows holiday calendar berlin", amount_change: -1 }],
    });
    await patchEmployee(w, emma.employeeId, { work_week: [1, 2, 3, 4] });
    expect(await request(w, emmas.id)).toMatchObject({ days: 3, amount: 3 });
    expect(await bookedDays(emmas.id)).toEqual(["2026-12-07", "2026-12-09", "2026-12-10"]);
    expect((await w.balance(w.tokens.hana, emma.employeeId)).posted).toBe(7);
    expect((await corrections()).map((a) => a.details.reason)).toEqual([
      "The employee now follows holiday calendar berlin",
      "The employee now works on ISO weekdays 1, 2, 3, 4",
    ]);
    // A change that does not touch the charged days reprices nothing, nor does setting what is already there.
    await patchEmployee(w, emma.employeeId, { display_name: "Emma E." });
    await patchEmployee(w, emma.employeeId, { holiday_calendar: "berlin", work_week: [4, 3, 2, 1] });
    expect(await corrections()).toHaveLength(2);
  });

  it("leave already taken keeps its charge when the employee moves; a holiday added on it is still corrected", async () => {
    // Emma's leave of Monday 23 to Wednesday 25 November is under way on Tuesday 24th (the test clock).
    const w = await ledgerWorld({ grant: 10 });
    const past = await approved(w, w.tokens.emma, "2026-11-23", "2026-11-25");
    await addHoliday(w, "2026-11-23", "berlin");
    await addHoliday(w, "2026-11-25", "berlin");
    await patchEmployee(w, emma.employeeId, { holiday_calendar: "berlin" });
    // Only the days from her today on follow the new calendar: the 25th, not the 23rd.
    expect(await request(w, past.id)).toMatchObject({ days: 2 });
    expect(await bookedDays(past.id)).toEqual(["2026-11-23", "2026-11-24"]);
    // A holiday of her calendar on a day already taken gives it back (the day was never a working day).
    expect((await addHoliday(w, "2026-11-24", "berlin")).corrections).toMatchObject([{ request_id: past.id, days_after: 1 }]);
  });
});
