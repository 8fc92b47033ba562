import { beforeEach, expect, it } from "vitest";
import type { PlainDate } from "../../src/domain/calendar";
import { addDays, isoWeekday } from "../support/worker/calendar-oracle";
import { people } from "../support/worker/callers";
import { harbor, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld, newKey } from "../support/worker/ledger";

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

/** Attempts a client makes before giving up; a 503 is expected rarely, and only under load. */
const MAX_ATTEMPTS = 5;

it("1 000 concurrent one-day requests against 250 days on a loaded machine, each 503 retried with its key: exactly 250 holds, 750 INSUFFICIENT_BALANCE", {
  timeout: 300_000,
}, async () => {
  const w = await ledgerWorld({ grant: 250, assign: [emma], bindings: UNLIMITED });
  const days = workingDays("2027-01-04" as PlainDate, 1_000);
  // What the API promises a client: a 503 carries Retry-After, and the same Idempotency-Key sent again either
  // finishes the request or replays the answer of an attempt that committed after the Worker gave up on it.
  const submitRetrying = async (day: PlainDate) => {
    const key = newKey("storm");
    for (let attempt = 1; ; attempt++) {
      const res = await w.submit(w.tokens.emma, { start_date: day, end_date: day }, key);
      if (res.status !== 503 || attempt === MAX_ATTEMPTS) return res;
      const retryAfter = Number(res.headers.get("Retry-After"));
      expect(retryAfter, "a 503 says when to retry").toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1_000));
    }
  };
  const responses = await harbor.underCpuLoad(() => Promise.all(days.map(submitRetrying)));
  const statuses = responses.map((r) => r.status);
  const count = (status: number) => statuses.filter((s) => s === status).length;
  const byStatus = Object.fromEntries([...new Set(statuses)].map((s) => [s, count(s)]));
  expect(byStatus).toEqual({ 201: 250, 422: 750 });
  const refusals = await Promise.all(
    responses.filter((r) => r.status === 422).map(async (r) => ((await r.json()) as { error: { code: string } }).error.code),
  );
  expect(new Set(refusals)).toEqual(new Set(["INSUFFICIENT_BALANCE"]));

  expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 250, pending: 250, available: 0 });
  // The ledger sums match the snapshots the writes took along the way, and the balance read from them.
  const [sums] = (await superuserSql()`select (select count(*)::int from balance_snapshots) as snapshots,
    (select sum(amount)::float from ledger_entries) as ledger_sum, (select count(*)::int from ledger_entries where kind = 'hold') as holds`) as [
    { snapshots: number; ledger_sum: number; holds: number },
  ];
  expect(sums).toEqual({ snapshots: 2, ledger_sum: 0, holds: 250 });
  // Exactly one domain event per committed submission, none for the 750 refused or the retried attempts.
  const submitted = (await superuserSql()`select count(*)::int as n, count(distinct subject)::int as subjects
    from outbox_events where type = 'leave_request.submitted'`) as [{ n: number; subjects: number }];
  expect(submitted).toEqual([{ n: 250, subjects: 250 }]);
  const report = (await (await w.api.send("/v1/reconciliation", { headers: bearer(w.tokens.sam) })).json()) as {
    accounts_checked: number;
    drifted: unknown[];
  };
  expect(report).toEqual({ accounts_checked: 1, drifted: [], next_after: null });
});
