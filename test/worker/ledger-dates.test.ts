import { beforeEach, describe, expect, it } from "vitest";
import { TestClock } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

/**
 * Dates are the employee's own calendar days. Emma works from Kiritimati (UTC+14), Eli from Honolulu
 * (UTC−10); each case runs at an instant where UTC is on another day than the employee.
 */
const emma = people.emma.employeeId;
const eli = people.eli.employeeId;
/** UTC 24 Nov; Kiritimati already 25 Nov. */
const KIRITIMATI_AHEAD = "2026-11-24T12:00:00Z";
/** UTC 25 Nov; Honolulu still 24 Nov. */
const HONOLULU_BEHIND = "2026-11-25T05:00:00Z";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
  await superuserSql()`update employees set time_zone = case id when ${emma}::uuid then 'Pacific/Kiritimati' else 'Pacific/Honolulu' end where id in (${emma}, ${eli})`;
});

async function world(at: string, policy: Record<string, unknown> = {}, startsOn = "2020-01-01") {
  return ledgerWorld({ clock: new TestClock(Date.parse(at)), policy, startsOn, assign: [emma, eli] });
}

async function today(w: Awaited<ReturnType<typeof world>>, employeeId: string) {
  const res = await w.api.send(`/v1/employees/${employeeId}/balances`, { headers: bearer(w.tokens.mike) });
  return ((await res.json()) as { today: string }).today;
}

describe("the employee's calendar", () => {
  it("'today' is the employee's own date", async () => {
    const ahead = await world(KIRITIMATI_AHEAD);
    expect([await today(ahead, emma), await today(ahead, eli)]).toEqual(["2026-11-25", "2026-11-24"]);
    ahead.api.clock.nowMs = Date.parse(HONOLULU_BEHIND);
    await ahead.signInAgain();
    expect([await today(ahead, emma), await today(ahead, eli)]).toEqual(["2026-11-25", "2026-11-24"]);
  });

  it("a one-day request costs exactly one day and has started on the employee's own day", async () => {
    const w = await world(KIRITIMATI_AHEAD);
    await w.grant(emma, 5);
    await w.grant(eli, 5);
    const approve = async (token: string, day: string) => {
      const request = await w.submitted(token, { start_date: day, end_date: day });
      expect(request).toMatchObject({ days: 1, amount: 1 });
      expect((await w.decide(w.tokens.mike, request.id, "approve")).status).toBe(200);
      return request.id;
    };
    const emmasToday = await approve(w.tokens.emma, "2026-11-25");
    const emmasTomorrow = await approve(w.tokens.emma, "2026-11-26");
    await expectError(await w.cancel(w.tokens.emma, emmasToday), 409, "CONFLICT");
    expect((await w.cancel(w.tokens.emma, emmasTomorrow)).status).toBe(200);
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 4 });

    w.api.clock.nowMs = Date.parse(HONOLULU_BEHIND);
    await w.signInAgain();
    const elisToday = await approve(w.tokens.eli, "2026-11-24");
    const elisTomorrow = await approve(w.tokens.eli, "2026-11-25");
    await expectError(await w.cancel(w.tokens.eli, elisToday), 409, "CONFLICT");
    expect((await w.cancel(w.tokens.eli, elisTomorrow)).status).toBe(200);
    expect(await w.balance(w.tokens.eli, eli)).toMatchObject({ posted: 4 });
  });

  // At `start`, UTC and Honolulu are before the boundary and Kiritimati past it; Honolulu crosses it at 10:00 UTC.
  it.each([
    {
      boundary: "a monthly accrual is due when the month begins where the employee is",
      accrual: { period: "monthly", amount: 2 },
      startsOn: "2026-11-01",
      start: "2026-11-30T12:00:00Z",
      before: "2026-12-01T09:59:00Z",
      after: "2026-12-01T10:00:00Z",
      periods: ["2026-11-01", "2026-12-01"],
    },
    {
      boundary: "the leave year turns at midnight of the employee's own 1 January",
      accrual: { period: "yearly", amount: 20 },
      startsOn: "2026-01-01",
      start: "2026-12-31T10:30:00Z",
      before: "2027-01-01T09:59:00Z",
      after: "2027-01-01T10:00:00Z",
      periods: ["2026-01-01", "2027-01-01"],
    },
  ])("$boundary", async ({ accrual, startsOn, start, before, after, periods }) => {
    const w = await world(start, { accrual }, startsOn);
    const posted = async (employeeId: string) =>
      (
        await superuserSql()`select effective_date::text as day from ledger_entries where employee_id = ${employeeId} and kind = 'accrual' order by 1`
      ).map((r) => r.day);
    await w.accrue();
    expect(await posted(emma)).toEqual(periods);
    expect(await posted(eli)).toEqual(periods.slice(0, 1));
    for (const [at, eliPeriods] of [
      [before, periods.slice(0, 1)],
      [after, periods],
    ] as const) {
      w.api.clock.nowMs = Date.parse(at);
      await w.signInAgain();
      await w.accrue();
      expect(await posted(eli), at).toEqual(eliPeriods);
    }
  });
});
