import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { Caller } from "../../src/db/claims";
import { runInDatabase } from "../../src/db/door";
import { as, dbConfig, people } from "../support/worker/callers";
import { rejectionOf, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { ledgerWorld } from "../support/worker/ledger";

/**
 * Row-level security of the ledger, tried as the app role under real callers' claims (and another tenant's):
 * rows that are not the caller's are invisible, and no caller can change or forge ledger or audit rows.
 */
const config = dbConfig();
const EMPLOYEE_TABLES = [
  "ledger_accounts",
  "ledger_entries",
  "balance_snapshots",
  "leave_requests",
  "booked_days",
  "approvals",
  "accrual_postings",
] as const;

async function employeesSeen(caller: Caller, table: string): Promise<string[]> {
  const [result] = await runInDatabase(
    config,
    caller,
    (db) => [db.execute<{ employee_id: string }>(sql`select distinct employee_id from ${sql.identifier(table)}`)],
    { readOnly: true },
  );
  return result.rows.map((r) => r.employee_id).sort();
}

beforeAll(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
  // Every table gets rows of four employees: Emma and Eli (Mike's reports), Mike, Hana.
  const w = await ledgerWorld({ grant: 120, policy: { accrual: { period: "monthly", amount: 1 } }, startsOn: "2026-10-01" });
  await w.accrue();
  for (const name of ["emma", "eli", "mike", "hana"] as const) {
    const request = await w.submitted(w.tokens[name], { start_date: "2026-12-07", end_date: "2026-12-07" });
    await w.decide(name === "hana" ? w.tokens.sam : name === "mike" ? w.tokens.hana : w.tokens.mike, request.id, "approve");
  }
  await superuserSql()`select app.take_snapshot(id, '2026-12-31', now()) from ledger_accounts`;
  await superuserSql()`insert into holidays (tenant_id, day, name) select tenant_id, '2026-12-25', 'Christmas' from employees where id = ${people.emma.employeeId}`;
});

const all = [people.emma, people.eli, people.mike, people.hana].map((p) => p.employeeId).sort();

describe("ledger rows by caller", () => {
  it.each(EMPLOYEE_TABLES)("%s: an employee sees only their own rows", async (table) => {
    expect(await employeesSeen(as.emma, table)).toEqual([people.emma.employeeId]);
  });

  it.each(EMPLOYEE_TABLES)("%s: a manager sees their own and their direct reports' rows", async (table) => {
    expect(await employeesSeen(as.mike, table)).toEqual([people.emma.employeeId, people.eli.employeeId, people.mike.employeeId].sort());
  });

  it.each(EMPLOYEE_TABLES)("%s: HR Admin, System Admin and Auditor see the tenant's rows", async (table) => {
    for (const caller of [as.hana, as.sam, as.ada]) expect(await employeesSeen(caller, table)).toEqual(all);
  });

  it.each(EMPLOYEE_TABLES)("%s: another tenant's HR Admin sees none", async (table) => {
    expect(await employeesSeen(as.gina, table)).toEqual([]);
  });

  it("runs and holidays: only the tenant's; runs only to readers of the whole tenant", async () => {
    const count = async (caller: Caller, table: string) => {
      const [result] = await runInDatabase(
        config,
        caller,
        (db) => [db.execute<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)}`)],
        { readOnly: true },
      );
      return result.rows[0]!.n;
    };
    expect(await count(as.ada, "ledger_runs")).toBeGreaterThan(0);
    expect(await count(as.emma, "ledger_runs")).toBe(0);
    expect(await count(as.gina, "ledger_runs")).toBe(0);
    expect(await count(as.emma, "holidays")).toBe(1);
    expect(await count(as.gina, "holidays")).toBe(0);
  });

  it("idempotency keys, audit chain heads and the checkpoint key are invisible to the app role", async () => {
    for (const table of ["idempotency_keys", "audit_chain_heads", "audit_checkpoint_keys"]) {
      const error = await rejectionOf(runInDatabase(config, as.sam, (db) => [db.execute(sql`select * from ${sql.identifier(table)}`)]));
      expect(error.code, table).toBe("FORBIDDEN");
    }
  });
});

describe("nobody changes the ledger or the audit log behind the rules", () => {
  const attempts: [string, ReturnType<typeof sql>][] = [
    ["update an entry", sql`update ledger_entries set amount = 100`],
    ["delete an entry", sql`delete from ledger_entries`],
    [
      "insert an entry",
      sql`insert into ledger_entries (tenant_id, account_id, employee_id, policy_key, kind, amount, effective_date, reference)
                            select tenant_id, id, employee_id, policy_key, 'grant', 100, '2026-01-01', 'forged' from ledger_accounts limit 1`,
    ],
    ["update a request", sql`update leave_requests set status = 'approved'`],
    ["delete booked days", sql`delete from booked_days`],
    [
      "insert an approval",
      sql`insert into approvals (tenant_id, request_id, employee_id, approver_id, decision, decided_at)
                               select tenant_id, id, employee_id, ${people.sam.userId}, 'approve', now() from leave_requests limit 1`,
    ],
    ["update a snapshot", sql`update balance_snapshots set settled_to_date = 1000`],
    ["update the audit log", sql`update audit_log set success = false`],
    ["delete the audit log", sql`delete from audit_log`],
    ["call an internal ledger function", sql`select app.resolve_hold(id, 'approved', now(), null) from leave_requests limit 1`],
    ["take a snapshot directly", sql`select app.take_snapshot(id, current_date, now()) from ledger_accounts limit 1`],
    // A holiday changes only with the corrections of the requests it touches (app.change_holiday).
    [
      "add a holiday without correcting requests",
      sql`insert into holidays (tenant_id, day, name) select tenant_id, '2026-12-07', 'Forged' from users limit 1`,
    ],
    ["remove a holiday without correcting requests", sql`delete from holidays`],
    [
      "reprice a request directly",
      sql`select app.reprice_request(id, start_date, end_date, now(), 'forged', '{}') from leave_requests limit 1`,
    ],
  ];
  it.each(attempts)("%s: refused even for a System Admin", async (_, statement) => {
    const error = await rejectionOf(runInDatabase(config, as.sam, (db) => [db.execute(statement)]));
    expect(error.code).toBe("FORBIDDEN");
  });

  it("the owner role cannot update or delete entries either (triggers)", async () => {
    await expect(superuserSql()`update ledger_entries set amount = 100`).rejects.toThrow(/append-only/);
    await expect(superuserSql()`delete from ledger_entries`).rejects.toThrow(/append-only/);
  });

  it("the ledger functions take identity from the claims, never from their input", async () => {
    // Emma submits with a body naming Eli: the claims say who she is, and she may not record leave for him.
    const forgedFor = await rejectionOf(
      runInDatabase(config, as.emma, (db) => [
        db.execute(
          sql`select app.submit_leave_request(${JSON.stringify({
            employee_id: people.eli.employeeId,
            policy_key: "pto",
            start_date: "2026-12-14",
            end_date: "2026-12-14",
            idempotency_key: "rls-forge",
            request_hash: "x",
            now: new Date().toISOString(),
            facts: {},
          })}::jsonb) as answer`,
        ),
      ]),
    );
    expect(forgedFor.code).toBe("RESOURCE_NOT_FOUND");
    // Hand-posted entries are grants and adjustments only, even when the function is called directly.
    const forged = await rejectionOf(
      runInDatabase(config, as.hana, (db) => [
        db.execute(
          sql`select app.post_adjustment(${JSON.stringify({ employee_id: people.emma.employeeId, policy_key: "pto", kind: "carryover_in", amount: 50, effective_date: "2026-01-01", idempotency_key: "rls-kind", request_hash: "x", now: new Date().toISOString(), facts: {} })}::jsonb)`,
        ),
      ]),
    );
    expect(forged.code).toBe("VALIDATION_FAILED");
    // Gina (another tenant) cannot decide or cancel Acme's requests: not found.
    const [requests] = await runInDatabase(config, as.sam, (db) => [
      db.execute<{ id: string }>(sql`select id from leave_requests limit 1`),
    ]);
    for (const fn of ["decide_leave_request", "cancel_leave_request"]) {
      const error = await rejectionOf(
        runInDatabase(config, as.gina, (db) => [
          db.execute(
            sql`select app.${sql.raw(fn)}(${JSON.stringify({ request_id: requests.rows[0]!.id, decision: "approve", idempotency_key: `rls-${fn}`, request_hash: "x", now: new Date().toISOString(), facts: {} })}::jsonb)`,
          ),
        ]),
      );
      expect(error.code, fn).toBe("RESOURCE_NOT_FOUND");
    }
  });
});
