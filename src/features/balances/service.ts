import { type SQL, sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import type { RequestFacts } from "../../domain/audit";
import { dateIn } from "../../domain/calendar";
import { type EmployeeRow, employeeLookup, employeesWhere, seenOrNotFound, targetEmployee } from "../../domain/employees";
import { entriesRead, type LedgerEntry, openEntry, type StoredEntryRow } from "../../domain/ledger-entries";
import { KeyRing } from "../../domain/sealing";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import { isCalendarDate } from "../../kernel/dates";
import { type CursorKey, decodeCursor, isInteger, pageOf } from "../../kernel/pagination";
import type { ENTRY_SORTS } from "./schemas";

type BalanceRow = {
  employee_id: string;
  policy_key: string;
  unit: string;
  tracking: "tracked" | "untracked";
  posted: string;
  pending: string;
  negative_allowance: string;
};

/**
 * Balances of the employees `which` selects, one row per policy, each the newest snapshot plus the entries
 * since (`app.balance_of`): the cost does not grow with history. The unit and allowance are the policy version
 * in force on `as_of` (or on the employee's today); before the first version takes effect, the newest version.
 * Row-level security limits what is seen.
 */
function balancesQuery(which: SQL, asOf: string | null, now: number) {
  const instant = new Date(now).toISOString();
  return sql`select a.employee_id, a.policy_key, p.unit, p.tracking, p.negative_allowance, b.posted, b.pending
    from ledger_accounts a
    join employees e on e.id = a.employee_id
    cross join lateral (select v.unit, v.tracking, v.negative_allowance from (
        select 1 as preference, * from app.policy_in_force(a.tenant_id, a.policy_key, coalesce(${asOf}::date, app.today_in(e.time_zone, ${instant}::timestamptz)))
        union all select 2, * from app.policy_in_force(a.tenant_id, a.policy_key, 'infinity')) v order by v.preference limit 1) p
    cross join lateral app.balance_of(a.id, ${asOf}::date, ${instant}::timestamptz) b
    where ${which} order by a.employee_id, a.policy_key`;
}

function byEmployee(rows: BalanceRow[], employees: EmployeeRow[], asOf: string | null, now: number) {
  return employees.map(({ id: employeeId, time_zone, name }) => ({
    employee_id: employeeId,
    employee_name: name,
    today: dateIn(time_zone, now),
    as_of: asOf,
    balances: rows
      .filter((r) => r.employee_id === employeeId)
      .map((r) => {
        const [posted, pending, allowance] = [Number(r.posted), Number(r.pending), Number(r.negative_allowance)];
        return {
          policy_key: r.policy_key,
          unit: r.unit,
          tracking: r.tracking,
          posted,
          pending,
          negative_allowance: allowance,
          available: r.tracking === "tracked" ? posted - pending + allowance : null,
        };
      }),
  }));
}

/** One employee's balances (404 when the caller may not see the employee, other tenants included). */
export async function employeeBalances(config: Config, principal: Principal, employeeId: string, asOf: string | null, now: number) {
  const [employee, balances] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [employeeLookup(db, employeeId), db.execute<BalanceRow>(balancesQuery(sql`a.employee_id = ${employeeId}`, asOf, now))],
    { readOnly: true },
  );
  return byEmployee(balances.rows, [seenOrNotFound(employee, employeeId)], asOf, now)[0]!;
}

/** The balances of the caller's direct reports. */
export async function teamBalances(config: Config, principal: Principal, asOf: string | null, now: number) {
  const reports = sql`select e.id from employees e where e.manager_id = ${principal.employeeId}`;
  const [team, balances] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<EmployeeRow>(employeesWhere(sql`e.manager_id = ${principal.employeeId}`)),
      db.execute<BalanceRow>(balancesQuery(sql`a.employee_id in (${reports})`, asOf, now)),
    ],
    { readOnly: true },
  );
  return byEmployee(balances.rows, team.rows, asOf, now);
}

type EntrySort = (typeof ENTRY_SORTS)[number];
const SORTS: Record<EntrySort, { order: SQL; after: (key: CursorKey) => SQL; keyOf: (e: LedgerEntry) => CursorKey; shape: "date" | "id" }> =
  {
    "-id": { order: sql`e.id desc`, after: ([id]) => sql`e.id < ${id}`, keyOf: (e) => [e.id], shape: "id" },
    id: { order: sql`e.id`, after: ([id]) => sql`e.id > ${id}`, keyOf: (e) => [e.id], shape: "id" },
    "-effective_date": {
      order: sql`e.effective_date desc, e.id desc`,
      after: ([day, id]) => sql`(e.effective_date, e.id) < (${day}::date, ${id})`,
      keyOf: (e) => [e.effective_date, e.id],
      shape: "date",
    },
    effective_date: {
      order: sql`e.effective_date, e.id`,
      after: ([day, id]) => sql`(e.effective_date, e.id) > (${day}::date, ${id})`,
      keyOf: (e) => [e.effective_date, e.id],
      shape: "date",
    },
  };

export interface EntryFilter {
  employee_id?: string | undefined;
  policy_key?: string | undefined;
  kind?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  sort: EntrySort;
  limit: number;
  cursor?: string | undefined;
}

/**
 * Ledger entries of one employee (the caller by default), filtered and sorted by an allow-listed key; HR's notes
 * opened (a read of another person's notes is access logged).
 */
export async function listEntries(config: Config, principal: Principal, facts: RequestFacts, filter: EntryFilter) {
  const employeeId = targetEmployee(principal, filter.employee_id);
  const sort = SORTS[filter.sort];
  const after = filter.cursor
    ? sort.after(
        sort.shape === "id"
          ? decodeCursor<[number]>(`ledger-entries:${filter.sort}`, filter.cursor, [isInteger])
          : decodeCursor<[string, number]>(`ledger-entries:${filter.sort}`, filter.cursor, [isCalendarDate, isInteger]),
      )
    : sql`true`;
  const conditions = [
    sql`e.employee_id = ${employeeId}`,
    filter.policy_key ? sql`e.policy_key = ${filter.policy_key}` : null,
    filter.kind ? sql`e.kind = ${filter.kind}` : null,
    filter.from ? sql`e.effective_date >= ${filter.from}::date` : null,
    filter.to ? sql`e.effective_date <= ${filter.to}::date` : null,
    after,
  ].filter((c): c is SQL => c !== null);
  const [employee, entries] = await runInDatabase(config, userCaller(principal), (db) => [
    employeeLookup(db, employeeId),
    db.execute<StoredEntryRow>(entriesRead(facts, principal, sql.join(conditions, sql` and `), sort.order, filter.limit, 1)),
  ]);
  seenOrNotFound(employee, employeeId);
  const { pagination } = pageOf(
    `ledger-entries:${filter.sort}`,
    entries.rows.map((r) => r.entry),
    filter.limit,
    sort.keyOf,
  );
  const shown = entries.rows.slice(0, filter.limit);
  const ring = new KeyRing(config, principal, facts.now, Object.assign({}, ...shown.map((r) => r.keys)));
  return { data: await Promise.all(shown.map((r) => openEntry(ring, r.entry))), pagination };
}
