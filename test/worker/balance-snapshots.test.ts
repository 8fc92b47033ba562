import fc from "fast-check";
import { expect, it } from "vitest";
import { ACME } from "../../scripts/lib/seed-data";
import { people } from "../support/worker/callers";
import { resetDatabase, superuserSql } from "../support/worker/harness";

/**
 * `app.balance_of` answers from the newest usable snapshot plus the entries since (and, for an `as_of`, the
 * entries the snapshot covers but dated after its own `as_of`). Whatever the order of postings, backdating and
 * snapshots, it must equal the plain sum of the entries — for every `as_of` and for none.
 */
const DAYS = ["2026-01-15", "2026-03-01", "2026-06-30", "2026-09-01", "2026-12-31", "2027-02-01"];
const step = fc.oneof(
  fc.record({
    kind: fc.constant("post" as const),
    amount: fc.integer({ min: -5, max: 9 }).filter((n) => n !== 0),
    day: fc.constantFrom(...DAYS),
  }),
  fc.record({ kind: fc.constant("snapshot" as const), asOf: fc.constantFrom(...DAYS) }),
);

it("balances from snapshots equal the sums of the entries, for every as_of", { timeout: 120_000 }, async () => {
  await resetDatabase();
  const sql = superuserSql();
  const hana = people.hana.userId;
  await sql`insert into leave_policies (tenant_id, key, version, name, unit, effective_from, created_by) values (${ACME.id}, 'snap', 1, 'Snap', 'day', '2020-01-01', ${hana})`;
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
      run++;
      const employee = people.emma.employeeId;
      const [account] =
        (await sql`insert into ledger_accounts (tenant_id, employee_id, policy_key) values (${ACME.id}, ${employee}, ${`snap-${run}`}) returning id`) as [
          { id: string },
        ];
      let n = 0;
      for (const s of steps) {
        if (s.kind === "post") {
          await sql`insert into ledger_entries (tenant_id, account_id, employee_id, policy_key, kind, amount, effective_date, reference)
                    values (${ACME.id}, ${account.id}, ${employee}, ${`snap-${run}`}, 'adjustment', ${s.amount}, ${s.day}, ${`e${n++}`})`;
        } else {
          await sql`select app.take_snapshot(${account.id}, ${s.asOf}::date, now())`;
        }
      }
      for (const asOf of [null, ...DAYS, "2025-12-31"]) {
        const [{ posted, expected }] =
          (await sql`select (select posted::float from app.balance_of(${account.id}, ${asOf}::date, now())) as posted,
          (select coalesce(sum(amount), 0)::float from ledger_entries where account_id = ${account.id} and (${asOf}::date is null or effective_date <= ${asOf}::date)) as expected`) as [
            { posted: number; expected: number },
          ];
        expect(posted, `as_of ${asOf} after ${JSON.stringify(steps)}`).toBe(expected);
      }
    }),
    { seed: 20261124, numRuns: 40 },
  );
});
