import { beforeEach, expect, it } from "vitest";
import { addDays, isoWeekday, type PlainDate } from "../../src/ledger/calendar";
import { people } from "../support/worker/callers";
import { resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const emma = people.emma.employeeId;
const UNLIMITED = { RATE_LIMIT_USER_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000" } as const;

function workingDays(from: PlainDate, count: number): PlainDate[] {
  const days: PlainDate[] = [];
  for (let day = from; days.length < count; day = addDays(day, 1)) if (isoWeekday(day) <= 5) days.push(day);
  return days;
}

it("1 000 concurrent one-day requests against 250 days give exactly 250 holds, 750 INSUFFICIENT_BALANCE and no 5xx", { timeout: 180_000 }, async () => {
  const w = await ledgerWorld({ grant: 250, assign: [emma], bindings: UNLIMITED });
  const days = workingDays("2027-01-04" as PlainDate, 1_000);
  const responses = await Promise.all(days.map((day) => w.submit(w.tokens.emma, { start_date: day, end_date: day })));
  const statuses = responses.map((r) => r.status);
  const count = (status: number) => statuses.filter((s) => s === status).length;
  const byStatus = Object.fromEntries([...new Set(statuses)].map((s) => [s, count(s)]));
  expect(byStatus).toEqual({ 201: 250, 422: 750 });
  const refusals = await Promise.all(responses.filter((r) => r.status === 422).map(async (r) => ((await r.json()) as { error: { code: string } }).error.code));
  expect(new Set(refusals)).toEqual(new Set(["INSUFFICIENT_BALANCE"]));

  expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 250, pending: 250, available: 0 });
  // The ledger sums match the snapshots the writes took along the way, and the balance read from them.
  const [sums] = (await superuserSql()`select (select count(*)::int from balance_snapshots) as snapshots,
    (select sum(amount)::float from ledger_entries) as ledger_sum, (select count(*)::int from ledger_entries where kind = 'hold') as holds`) as [{ snapshots: number; ledger_sum: number; holds: number }];
  expect(sums).toEqual({ snapshots: 2, ledger_sum: 0, holds: 250 });
  const report = (await (await w.api.send("/v1/reconciliation", { headers: bearer(w.tokens.sam) })).json()) as { accounts_checked: number; drifted: unknown[] };
  expect(report).toEqual({ accounts_checked: 1, drifted: [], next_after: null });
});
