import { beforeEach, describe, expect, it } from "vitest";
import { auditChainBrokenOnPurpose } from "../support/worker/audit-chain-guard";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const emma = people.emma.employeeId;
const MONTHLY = { accrual: { period: "monthly", amount: 2 } };

describe("accruals", () => {
  it("post each due period once, however often they run, and catch up skipped months", async () => {
    // The assignment posts what is already due (September to November); runs never post it again.
    const w = await ledgerWorld({ policy: MONTHLY, startsOn: "2026-09-01", assign: [emma] });
    expect(await w.accrue()).toEqual({ accruals: 0, carryover_expiries: 0 });
    expect(await w.accrue()).toEqual({ accruals: 0, carryover_expiries: 0 });
    expect((await w.entries(w.tokens.emma)).map((e) => [e.kind, e.amount, e.effective_date])).toEqual([
      ["accrual", 2, "2026-09-01"],
      ["accrual", 2, "2026-10-01"],
      ["accrual", 2, "2026-11-01"],
    ]);
    // No run in December: the January run posts December and January.
    w.api.clock.advance(52 * 86_400_000); // → 2027-01-15
    await w.signInAgain();
    expect(await w.accrue(1)).toEqual({ accruals: 2, carryover_expiries: 0 });
    expect((await w.entries(w.tokens.emma, "&kind=accrual")).map((e) => e.effective_date)).toEqual([
      "2026-09-01",
      "2026-10-01",
      "2026-11-01",
      "2026-12-01",
      "2027-01-01",
    ]);
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 10 });
    const [{ postings }] = (await superuserSql()`select count(*)::int as postings from accrual_postings`) as [{ postings: number }];
    expect(postings).toBe(5);
  });

  it("stop at the policy's maximum balance, and a period capped to nothing is still done", async () => {
    const w = await ledgerWorld({ policy: { ...MONTHLY, max_balance: 5 }, startsOn: "2026-09-01", assign: [emma] });
    await w.accrue();
    expect((await w.entries(w.tokens.emma)).map((e) => e.amount)).toEqual([2, 2, 1]);
    const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    await w.decide(w.tokens.mike, request.id, "approve");
    expect(await w.accrue()).toEqual({ accruals: 0, carryover_expiries: 0 });
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 3 });
  });

  it("respect the waiting period and the assignment's dates", async () => {
    await superuserSql()`update employees set hire_date = '2026-10-10' where id = ${emma}`;
    const w = await ledgerWorld({ policy: { ...MONTHLY, waiting_period_days: 20 }, startsOn: "2026-01-01", assign: [emma] });
    await w.accrue();
    // Hired 10 Oct, eligible from 30 Oct: November is the first period whose first day counts.
    expect((await w.entries(w.tokens.emma)).map((e) => e.effective_date)).toEqual(["2026-11-01"]);
  });

  it("are refused to employees and managers", async () => {
    const w = await ledgerWorld({ policy: MONTHLY });
    await expectError(await w.post("/v1/accruals/runs", w.tokens.mike, {}), 403, "FORBIDDEN");
    await expectError(await w.post("/v1/accruals/runs", w.tokens.emma, {}), 403, "FORBIDDEN");
  });
});

describe("year-end rollover", () => {
  const POLICY = { carryover: { cap: 5, expiry_months: 3 } };

  it("dry run reports, the real run carries up to the cap and expires the rest; carried days expire after the policy's period", async () => {
    const w = await ledgerWorld({ policy: POLICY, assign: [emma, people.eli.employeeId] });
    await w.grant(emma, 8, "2026-01-01");
    await w.grant(people.eli.employeeId, 3, "2026-01-01");
    // Emma: 8 granted, 1 used in 2026, 1 booked for 2027 (not counted at year end).
    const used = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
    await w.decide(w.tokens.mike, used.id, "approve");
    const booked = await w.submitted(w.tokens.emma, { start_date: "2027-01-04", end_date: "2027-01-04" });
    await w.decide(w.tokens.mike, booked.id, "approve");

    const dry = await w.post("/v1/rollovers", w.tokens.sam, { year: 2026, dry_run: true });
    expect(dry.status).toBe(200);
    const plan = (await dry.json()) as {
      accounts: { employee_id: string; balance: number; carry: number; expire: number }[];
      carried: number;
      expired: number;
      posted_entries: number;
    };
    expect(plan.posted_entries).toBe(0);
    expect(Object.fromEntries(plan.accounts.map((a) => [a.employee_id, [a.balance, a.carry, a.expire]]))).toEqual({
      [emma]: [7, 5, 2],
      [people.eli.employeeId]: [3, 3, 0],
    });
    expect([plan.carried, plan.expired]).toEqual([8, 2]);
    expect(await superuserSql()`select count(*)::int as n from ledger_entries where run_id is not null`).toEqual([{ n: 0 }]);

    const real = (await (await w.post("/v1/rollovers", w.tokens.sam, { year: 2026, dry_run: false })).json()) as {
      run_id: string;
      posted_entries: number;
    };
    expect(real.posted_entries).toBe(5);
    expect((await w.entries(w.tokens.emma, "&from=2026-12-31")).map((e) => [e.kind, e.amount, e.effective_date])).toEqual([
      ["hold", -1, "2027-01-04"],
      ["hold_release", 1, "2027-01-04"],
      ["usage", -1, "2027-01-04"],
      ["expiry", -2, "2026-12-31"],
      ["carryover_out", -5, "2026-12-31"],
      ["carryover_in", 5, "2027-01-01"],
    ]);
    expect(await w.balance(w.tokens.emma, emma, "2026-12-31")).toMatchObject({ posted: 0 });
    expect(await w.balance(w.tokens.emma, emma, "2027-01-01")).toMatchObject({ posted: 5 });
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 4 });
    await expectError(await w.post("/v1/rollovers", w.tokens.sam, { year: 2026, dry_run: false }), 409, "CONFLICT");

    // Three months on (1 April 2027): of the 5 carried, 1 was used in January; the other 4 expire.
    w.api.clock.nowMs = Date.parse("2027-04-01T12:00:00Z");
    await w.signInAgain();
    expect(await w.accrue()).toEqual({ accruals: 0, carryover_expiries: 2 });
    expect((await w.entries(w.tokens.emma, "&kind=expiry")).map((e) => [e.amount, e.effective_date])).toEqual([
      [-2, "2026-12-31"],
      [-4, "2027-04-01"],
    ]);
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 0 });
    expect(await w.accrue()).toEqual({ accruals: 0, carryover_expiries: 0 });
  });

  it("is reversed by a reversal entry set, after which the year may run again", async () => {
    const w = await ledgerWorld({ policy: POLICY, assign: [emma] });
    await w.grant(emma, 8, "2026-06-01");
    const run = (await (await w.post("/v1/rollovers", w.tokens.sam, { year: 2026, dry_run: false })).json()) as { run_id: string };
    const first = (await (await w.post(`/v1/rollovers/${run.run_id}/reversal`, w.tokens.sam, { limit: 2 })).json()) as {
      reversed_entries: number;
      done: boolean;
    };
    expect(first).toMatchObject({ reversed_entries: 2, done: false });
    await expectError(await w.post("/v1/rollovers", w.tokens.sam, { year: 2026, dry_run: false }), 409, "CONFLICT");
    const rest = (await (await w.post(`/v1/rollovers/${run.run_id}/reversal`, w.tokens.sam, { limit: 2 })).json()) as {
      reversed_entries: number;
      done: boolean;
    };
    expect(rest).toMatchObject({ reversed_entries: 1, done: true });
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 8 });
    expect(await w.balance(w.tokens.emma, emma, "2026-12-31")).toMatchObject({ posted: 8 });
    const again = await w.post("/v1/rollovers", w.tokens.sam, { year: 2026, dry_run: false });
    expect(again.status).toBe(200);
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 5 });
    await expectError(await w.post("/v1/rollovers", w.tokens.hana, { year: 2026 }), 403, "FORBIDDEN");
    // The runs, as an Auditor sees them: the reversed one names its reversal.
    const runs = (await (await w.api.send("/v1/ledger-runs?kind=rollover", { headers: bearer(w.tokens.ada) })).json()) as {
      data: { id: string; reversed_by_run_id: string | null }[];
      total: number;
    };
    expect(runs.total).toBe(2);
    expect(runs.data.find((r) => r.id === run.run_id)?.reversed_by_run_id).toEqual(expect.any(String));
    await expectError(await w.api.send("/v1/ledger-runs", { headers: bearer(w.tokens.emma) }), 403, "FORBIDDEN");
  });
});

describe("reconciliation and the audit chain", () => {
  it("reports no drift for a healthy ledger, and names an account whose snapshot was tampered with", async () => {
    const w = await ledgerWorld({ assign: [emma] });
    for (let i = 0; i < 105; i++) {
      await w.grant(emma, 1, "2026-01-01");
      if (i % 50 === 49) w.api.clock.advance(61_000); // stay under the per-minute rate limit
    }
    const snapshots = (await superuserSql()`select count(*)::int as n from balance_snapshots`) as [{ n: number }];
    expect(snapshots[0].n).toBe(1);
    const report = async () =>
      (await (await w.api.send("/v1/reconciliation", { headers: bearer(w.tokens.sam) })).json()) as {
        accounts_checked: number;
        drifted: { employee_id: string }[];
      };
    expect(await report()).toMatchObject({ accounts_checked: 1, drifted: [] });
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 105 });

    await superuserSql().transaction((sql) => [
      sql`set local session_replication_role = replica`,
      sql`update balance_snapshots set settled_to_date = settled_to_date + 1`,
    ]);
    expect((await report()).drifted.map((d) => d.employee_id)).toEqual([emma]);
  });

  it("the chain verifies, and altering one row as the owner makes verification name that row", async () => {
    const w = await ledgerWorld({ grant: 2 });
    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
    const verify = async () =>
      (await (await w.api.send("/v1/audit/verification", { headers: bearer(w.tokens.ada) })).json()) as {
        checked: number;
        valid: boolean;
        first_broken: { id: number } | null;
      };
    const healthy = await verify();
    expect(healthy.valid).toBe(true);
    expect(healthy.checked).toBeGreaterThan(5);
    // In pieces: three rows per call, each continuing where the last stopped, together the whole chain.
    let checked = 0;
    for (let after: number | null = 0; after !== null; ) {
      const part = (await (
        await w.api.send(`/v1/audit/verification?after_id=${after}&limit=3`, { headers: bearer(w.tokens.ada) })
      ).json()) as { checked: number; valid: boolean; next_after_id: number | null };
      expect(part.valid).toBe(true);
      checked += part.checked;
      after = part.next_after_id;
    }
    expect(checked).toBe(healthy.checked);

    const [victim] = (await superuserSql()`select id from audit_log where action = 'request.submit'`) as [{ id: number }];
    auditChainBrokenOnPurpose();
    await superuserSql().transaction((sql) => [
      sql`set local session_replication_role = replica`,
      sql`update audit_log set details = details || '{"amount": 0}' where id = ${victim.id}`,
    ]);
    expect(await verify()).toMatchObject({ valid: false, first_broken: { id: Number(victim.id) } });
  });
});
