/**
 * The balance path of a simulation (src/domain/balance-path.ts), on facts written by hand: the order within a day,
 * the year-end rollover and the expiry of carried-over days. The ledger's own runs are held against it in
 * test/worker/simulations.test.ts.
 */
import { describe, expect, it } from "vitest";
import { balancePath, lowestPoint, type PathFacts } from "../../src/domain/balance-path";

const NONE: PathFacts = {
  today: "2026-11-24",
  until: "2027-06-30",
  opening: 4,
  entries: [],
  pendingDays: [],
  accruals: [],
  request: [],
  carryovers: [],
  yearEnds: [],
};
const YEAR_END = { date: "2026-12-31", next_day: "2027-01-01", rolled_over: false };
const steps = (facts: Partial<PathFacts>) => balancePath({ ...NONE, ...facts }).map((s) => [s.date, s.kind, s.amount, s.balance]);

describe("the balance path", () => {
  it("starts at today's posted balance; what was due before today counts today, credits before debits", () => {
    expect(
      steps({
        request: [{ date: "2026-12-01", amount: -1 }],
        accruals: [
          { date: "2026-11-01", amount: 2 },
          { date: "2026-12-01", amount: 2 },
        ],
        pendingDays: [{ date: "2026-11-20", amount: -3 }],
        entries: [{ date: "2026-12-02", kind: "usage", amount: -1 }],
      }),
    ).toEqual([
      ["2026-11-24", "opening", 4, 4],
      ["2026-11-24", "accrual", 2, 6],
      ["2026-11-24", "pending", -3, 3],
      ["2026-12-01", "accrual", 2, 5],
      ["2026-12-01", "request", -1, 4],
      ["2026-12-02", "usage", -1, 3],
    ]);
  });

  it("carries up to the cap into 1 January, the rest expiring on 31 December; nothing is carried from below zero", () => {
    expect(steps({ opening: 7.5, yearEnds: [{ ...YEAR_END, cap: 5, carried_expires_on: null }] })).toEqual([
      ["2026-11-24", "opening", 7.5, 7.5],
      ["2026-12-31", "expiry", -2.5, 5],
      ["2026-12-31", "carryover_out", -5, 0],
      ["2027-01-01", "carryover_in", 5, 5],
    ]);
    expect(steps({ opening: -2, yearEnds: [{ ...YEAR_END, cap: null, carried_expires_on: null }] })).toEqual([
      ["2026-11-24", "opening", -2, -2],
    ]);
    // A year already rolled over is not rolled over again; a 1 January after the path is left out.
    expect(steps({ yearEnds: [{ ...YEAR_END, cap: 1, carried_expires_on: null, rolled_over: true }] })).toHaveLength(1);
    expect(steps({ until: "2026-12-31", yearEnds: [{ ...YEAR_END, cap: null, carried_expires_on: null }] }).at(-1)).toEqual([
      "2026-12-31",
      "carryover_out",
      -4,
      0,
    ]);
  });

  it("expires carried-over days less what was used of them before the expiry date, never more than the balance", () => {
    const carried = (used: Partial<PathFacts>) =>
      steps({ yearEnds: [{ ...YEAR_END, cap: null, carried_expires_on: "2027-03-01" }], ...used }).filter(([, kind]) => kind === "expiry");
    expect(carried({})).toEqual([["2027-03-01", "expiry", -4, 0]]);
    // 3 of the 4 used in February: 1 expires. Usage on the expiry date itself no longer draws on them.
    expect(
      carried({
        request: [
          { date: "2027-02-10", amount: -3 },
          { date: "2027-03-01", amount: -1 },
        ],
      }),
    ).toEqual([["2027-03-01", "expiry", -1, 0]]);
    // Days already carried: what was used by today comes from the ledger.
    expect(steps({ opening: 2, carryovers: [{ carried_on: "2026-01-01", amount: 5, expires_on: "2026-12-01", used: -4 }] }).at(-1)).toEqual(
      ["2026-12-01", "expiry", -1, 1],
    );
  });

  it("reports the lowest point, first reached", () => {
    const path = balancePath({
      ...NONE,
      request: [
        { date: "2026-12-01", amount: -5 },
        { date: "2027-01-04", amount: -1 },
      ],
      accruals: [{ date: "2027-01-01", amount: 1 }],
    });
    expect(lowestPoint(path)).toEqual({ date: "2026-12-01", balance: -1 });
  });
});
