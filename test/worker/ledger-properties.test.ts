import fc from "fast-check";
import { expect, it } from "vitest";
import type { PlainDate } from "../../src/domain/calendar";
import { addDays, isoWeekday } from "../support/worker/calendar-oracle";
import { people } from "../support/worker/callers";
import { resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { ledgerWorld } from "../support/worker/ledger";

/**
 * Random sequences of grants, requests (whole and half days), approvals, rejections, cancellations and
 * expiries, executed through the API against Postgres, next to a small model of what the rules say. After
 * every step the API's balance equals the model's and the sums of the ledger's own entries, holds are
 * resolved at most once, and no day is booked beyond one day.
 */
const PROPERTY_RUNS = { seed: 20261124, numRuns: 20 };
const TTL_HOURS = 72;
const emma = people.emma.employeeId;

const DAYS: PlainDate[] = [];
for (let day = "2027-01-04" as PlainDate; DAYS.length < 6; day = addDays(day, 1)) if (isoWeekday(day) <= 5) DAYS.push(day);

type Part = "full" | "morning" | "afternoon";
type Op =
  | { op: "grant"; amount: number }
  | { op: "submit"; day: number; part: Part }
  | { op: "approve" | "reject" | "cancel"; request: number }
  | { op: "expire" };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("grant" as const), amount: fc.constantFrom(0.5, 1, 2) }),
  fc.record({
    op: fc.constant("submit" as const),
    day: fc.nat(DAYS.length - 1),
    part: fc.constantFrom<Part>("full", "morning", "afternoon"),
  }),
  fc.record({ op: fc.constantFrom("approve" as const, "reject" as const, "cancel" as const), request: fc.nat(7) }),
  fc.constant({ op: "expire" as const }),
);

interface ModelRequest {
  id: string;
  halves: string[];
  amount: number;
  status: "pending" | "approved" | "rejected" | "cancelled" | "expired";
  expiresAt: number;
}

const halvesOf = (day: PlainDate, part: Part) =>
  part === "full" ? [`${day}:am`, `${day}:pm`] : [`${day}:${part === "morning" ? "am" : "pm"}`];
const bodyOf = (day: PlainDate, part: Part) => ({
  start_date: day,
  end_date: day,
  ...(part === "morning" ? { end_part: "midday" } : part === "afternoon" ? { start_part: "afternoon" } : {}),
});

it("every step keeps the ledger's invariants, and the API's balance is the sum of its entries", { timeout: 240_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 14 }), async (ops) => {
      await Promise.all([resetDatabase(), resetEdgeState()]);
      const w = await ledgerWorld({ assign: [emma], policy: { approval_ttl_hours: TTL_HOURS } });
      const requests: ModelRequest[] = [];
      let granted = 0;
      const now = () => w.api.clock.nowMs;
      const live = (r: ModelRequest) => r.status === "pending" && r.expiresAt > now();
      const open = (r: ModelRequest) => live(r) || r.status === "approved";
      const model = () => {
        const used = requests.filter((r) => r.status === "approved").reduce((s, r) => s + r.amount, 0);
        const pending = requests.filter(live).reduce((s, r) => s + r.amount, 0);
        return { posted: granted - used, pending, available: granted - used - pending };
      };

      for (const step of ops) {
        if (step.op === "grant") {
          await w.grant(emma, step.amount);
          granted += step.amount;
        } else if (step.op === "submit") {
          const halves = halvesOf(DAYS[step.day]!, step.part);
          const amount = halves.length / 2;
          const res = await w.submit(w.tokens.emma, bodyOf(DAYS[step.day]!, step.part));
          const expected =
            amount > model().available ? 422 : requests.some((r) => open(r) && r.halves.some((h) => halves.includes(h))) ? 409 : 201;
          expect(res.status, JSON.stringify(step)).toBe(expected);
          if (res.status === 201) {
            const body = (await res.json()) as { id: string; amount: number };
            expect(body.amount).toBe(amount);
            requests.push({ id: body.id, halves, amount, status: "pending", expiresAt: now() + TTL_HOURS * 3_600_000 });
          }
        } else if (step.op === "expire") {
          w.api.clock.advance(TTL_HOURS * 3_600_000 + 1);
          await w.signInAgain();
          for (const r of requests) if (r.status === "pending" && r.expiresAt <= now()) r.status = "expired";
        } else {
          const r = requests[step.request];
          if (!r) continue;
          const res = step.op === "cancel" ? await w.cancel(w.tokens.emma, r.id) : await w.decide(w.tokens.mike, r.id, step.op);
          const allowed = step.op === "cancel" ? live(r) || r.status === "approved" : live(r);
          expect(res.status, JSON.stringify(step)).toBe(allowed ? 200 : 409);
          if (allowed) r.status = step.op === "approve" ? "approved" : step.op === "reject" ? "rejected" : "cancelled";
        }

        const expected = model();
        expect(await w.balance(w.tokens.emma, emma), JSON.stringify(step)).toMatchObject(expected);
        const [ledger] = (await superuserSql()`
          select coalesce(sum(amount) filter (where kind not in ('hold', 'hold_release')), 0)::float as posted,
                 coalesce(-sum(amount) filter (where kind = 'hold' and expires_at > ${new Date(now()).toISOString()}::timestamptz
                   and not exists (select 1 from ledger_entries r where r.resolves_entry_id = e.id)), 0)::float as pending,
                 (select count(*)::int from (select resolves_entry_id from ledger_entries where resolves_entry_id is not null
                   group by 1 having count(*) > 1) twice) as resolved_twice,
                 (select count(*)::int from (select day from booked_days group by employee_id, day having count(*) > 2) over) as overbooked
          from ledger_entries e`) as [{ posted: number; pending: number; resolved_twice: number; overbooked: number }];
        expect(ledger).toEqual({ posted: expected.posted, pending: expected.pending, resolved_twice: 0, overbooked: 0 });
        expect(expected.available).toBeGreaterThanOrEqual(0);
      }
    }),
    PROPERTY_RUNS,
  );
});
