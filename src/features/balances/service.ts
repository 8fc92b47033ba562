import { type SQL, sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import type { RequestFacts } from "../../domain/audit";
import { assertWithinForecastHorizon, dateIn } from "../../domain/calendar";
import { type EmployeeRow, employeeLookup, employeesWhere, seenOrNotFound, targetEmployee } from "../../domain/employees";
import { entriesRead, type LedgerEntry, openEntry, type StoredEntryRow } from "../../domain/ledger-entries";
import { KeyRing } from "../../domain/sealing";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import { csvCell, csvLine } from "../../kernel/csv";
import { isCalendarDate } from "../../kernel/dates";
import { AppError } from "../../kernel/errors";
import { type CursorKey, decodeCursor, isInteger, isUuid, pageOf } from "../../kernel/pagination";
import type { BalanceReportFilter, ENTRY_SORTS, UsageReportFilter } from "./schemas";

type BalanceRow = {
  employee_id: string;
  policy_key: string;
  unit: string;
  tracking: "tracked" | "untracked";
  posted: string;
  pending: string;
  negative_allowance: string;
  projected: string;
};

/** Which balances: as of an effective date (null: every entry), as known at a recorded time (null: now). */
export interface BalanceView {
  asOf: string | null;
  knownAt: string | null;
}

export const balanceView = (query: { as_of?: string | undefined; known_at?: string | undefined }): BalanceView => ({
  asOf: query.as_of ?? null,
  knownAt: query.known_at ?? null,
});

/**
 * Balances of the employees `which` selects, one row per policy, each the newest snapshot plus the entries
 * since (`app.balance_of`): the cost does not grow with history. The unit and allowance are the policy version
 * in force on `as_of` (or on the employee's today); before the first version takes effect, the newest version.
 * An `as_of` after the employee's today is a forecast: the accruals due by then and not yet posted are projected
 * (`app.due_accruals`, what the accrual run will post). With `known_at`, the ledger as it was then
 * (`app.balance_known_at`, versions created by then), never projected. Row-level security limits what is seen.
 */
function balancesQuery(which: SQL, view: BalanceView, now: number) {
  const { asOf, knownAt } = view;
  assertWithinForecastHorizon(asOf, "as_of", now);
  if (knownAt && Date.parse(knownAt) > now)
    throw new AppError("VALIDATION_FAILED", "known_at is in the future", {
      issues: [{ path: "known_at", message: "not after now", code: "custom" }],
    });
  const instant = new Date(now).toISOString();
  const today = sql`app.today_in(e.time_zone, ${instant}::timestamptz)`;
  const balance = knownAt
    ? sql`app.balance_known_at(a.id, ${asOf}::date, ${knownAt}::timestamptz)`
    : sql`app.balance_of(a.id, ${asOf}::date, ${instant}::timestamptz)`;
  return sql`select a.employee_id, a.policy_key, p.unit, p.tracking, p.negative_allowance, b.posted, b.pending,
      case when ${knownAt}::timestamptz is null and ${asOf}::date > ${today}
           then (select coalesce(sum(d.amount), 0) from app.due_accruals(a.tenant_id, array[a.employee_id], a.policy_key, ${instant}::timestamptz, ${asOf}::date) d)
           else 0 end as projected
    from ledger_accounts a
    join employees e on e.id = a.employee_id
    cross join lateral (select v.unit, v.tracking, v.negative_allowance from leave_policies v
        where v.tenant_id = a.tenant_id and v.key = a.policy_key and (${knownAt}::timestamptz is null or v.created_at <= ${knownAt}::timestamptz)
        order by v.effective_from <= coalesce(${asOf}::date, ${today}) desc, v.version desc limit 1) p
    cross join lateral ${balance} b
    where ${which} order by a.employee_id, a.policy_key`;
}

function byEmployee(rows: BalanceRow[], employees: EmployeeRow[], view: BalanceView, now: number) {
  return employees.map(({ id: employeeId, time_zone, name }) => {
    const today = dateIn(time_zone, now);
    return {
      employee_id: employeeId,
      employee_name: name,
      today,
      as_of: view.asOf,
      known_at: view.knownAt,
      forecast: view.knownAt === null && view.asOf !== null && view.asOf > today,
      balances: rows
        .filter((r) => r.employee_id === employeeId)
        .map((r) => {
          const [posted, projected, pending, allowance] = [r.posted, r.projected, r.pending, r.negative_allowance].map(Number) as [
            number,
            number,
            number,
            number,
          ];
          return {
            policy_key: r.policy_key,
            unit: r.unit,
            tracking: r.tracking,
            posted,
            projected,
            pending,
            negative_allowance: allowance,
            available: r.tracking === "tracked" ? posted + projected - pending + allowance : null,
          };
        }),
    };
  });
}

/** One employee's balances (404 when the caller may not see the employee, other tenants included). */
export async function employeeBalances(config: Config, principal: Principal, employeeId: string, view: BalanceView, now: number) {
  const [employee, balances] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [employeeLookup(db, employeeId), db.execute<BalanceRow>(balancesQuery(sql`a.employee_id = ${employeeId}`, view, now))],
    { readOnly: true },
  );
  return byEmployee(balances.rows, [seenOrNotFound(employee, employeeId)], view, now)[0]!;
}

/** The balances of the caller's direct reports. */
export async function teamBalances(config: Config, principal: Principal, view: BalanceView, now: number) {
  const reports = sql`select e.id from employees e where e.manager_id = ${principal.employeeId}`;
  const [team, balances] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<EmployeeRow>(employeesWhere(sql`e.manager_id = ${principal.employeeId}`)),
      db.execute<BalanceRow>(balancesQuery(sql`a.employee_id in (${reports})`, view, now)),
    ],
    { readOnly: true },
  );
  return byEmployee(balances.rows, team.rows, view, now);
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
  known_at?: string | undefined;
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
    filter.known_at ? sql`e.recorded_at <= ${filter.known_at}::timestamptz` : null,
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

/** What both reports page over: the tenant's employees by id, after a cursor of `list`, filtered. */
type ReportScope = { limit: number; cursor?: string | undefined; policy_key?: string | undefined; manager_id?: string | undefined };

/** The ids of one report page of employees (one more than asked, to see whether more follow), as SQL. */
function reportPage(principal: Principal, list: string, query: ReportScope): SQL {
  const conditions = [sql`e.tenant_id = ${principal.tenantId}`];
  if (query.cursor) conditions.push(sql`e.id > ${decodeCursor<[string]>(list, query.cursor, [isUuid])[0]}::uuid`);
  if (query.manager_id) conditions.push(sql`e.manager_id = ${query.manager_id}::uuid`);
  if (query.policy_key)
    conditions.push(sql`exists (select 1 from ledger_accounts a where a.employee_id = e.id and a.policy_key = ${query.policy_key})`);
  return sql`select e.id from employees e where ${sql.join(conditions, sql` and `)} order by e.id limit ${query.limit + 1}`;
}

/** A report's rows as CSV: a header of `columns`, then a line per row (null and missing cells empty). */
function reportCsv(columns: readonly string[], rows: Record<string, unknown>[]): string {
  const lines = rows.map((row) => csvLine(columns.map((column) => csvCell(row[column]))));
  return `${[columns.join(","), ...lines].join("\n")}\n`;
}

/**
 * The tenant's balances (HR Admin, System Admin, Auditor), a page of employees by id with every balance each has
 * (or one policy's): one round trip, two statements over the same page in one snapshot.
 */
export async function balanceReport(config: Config, principal: Principal, query: BalanceReportFilter, now: number) {
  const page = reportPage(principal, "balance-report", query);
  const policy = query.policy_key ? sql`a.policy_key = ${query.policy_key}` : sql`true`;
  const view = balanceView(query);
  const [people, balances] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<EmployeeRow>(employeesWhere(sql`e.id in (${page})`)),
      db.execute<BalanceRow>(balancesQuery(sql`a.employee_id in (${page}) and ${policy}`, view, now)),
    ],
    { readOnly: true, isolation: "RepeatableRead" },
  );
  return pageOf("balance-report", byEmployee(balances.rows, people.rows, view, now), query.limit, (row) => [row.employee_id]);
}

const BALANCE_COLUMNS = [
  "employee_id",
  "employee_name",
  "policy_key",
  "unit",
  "tracking",
  "posted",
  "projected",
  "pending",
  "negative_allowance",
  "available",
  "as_of",
  "known_at",
  "today",
  "forecast",
];

/** The balance report's page as CSV: a line per employee and policy (an employee without any, a line without one). */
export function balanceReportCsv(page: Awaited<ReturnType<typeof balanceReport>>): string {
  return reportCsv(
    BALANCE_COLUMNS,
    page.data.flatMap((employee) => {
      const base = {
        employee_id: employee.employee_id,
        employee_name: employee.employee_name,
        as_of: employee.as_of,
        known_at: employee.known_at,
        today: employee.today,
        forecast: employee.forecast,
      };
      return employee.balances.length ? employee.balances.map((b) => ({ ...base, ...b })) : [base];
    }),
  );
}

type UsageRow = { employee_id: string; policy_key: string; category: string; unit: string; used: string };

/**
 * Leave taken per employee and policy between two dates, for payroll: usage less its reversals, by effective
 * (leave) date, a page of employees by id. One round trip, two statements over the same page in one snapshot.
 */
export async function usageReport(config: Config, principal: Principal, query: UsageReportFilter) {
  const page = reportPage(principal, "usage-report", query);
  const policy = query.policy_key ? sql`x.policy_key = ${query.policy_key}` : sql`true`;
  const [people, usage] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<EmployeeRow>(employeesWhere(sql`e.id in (${page})`)),
      db.execute<UsageRow>(sql`select x.employee_id, x.policy_key, p.category, p.unit, sum(-x.amount) as used
        from ledger_entries x join leave_policies p on p.id = x.policy_version_id
        where x.employee_id in (${page}) and ${policy} and x.kind in ('usage', 'reversal')
          and x.effective_date between ${query.from}::date and ${query.to}::date and x.request_id is not null
        group by x.employee_id, x.policy_key, p.category, p.unit order by x.employee_id, x.policy_key`),
    ],
    { readOnly: true, isolation: "RepeatableRead" },
  );
  const rows = people.rows.map((employee) => ({
    employee_id: employee.id,
    employee_name: employee.name,
    usage: usage.rows
      .filter((u) => u.employee_id === employee.id)
      .map(({ policy_key, category, unit, used }) => ({ policy_key, category, unit, used: Number(used) })),
  }));
  return { from: query.from, to: query.to, ...pageOf("usage-report", rows, query.limit, (row) => [row.employee_id]) };
}

const USAGE_COLUMNS = ["employee_id", "employee_name", "policy_key", "category", "unit", "used", "from", "to"];

/** The usage report's page as CSV: a line per employee and policy with leave taken (an employee without any, a line without one). */
export function usageReportCsv(page: Awaited<ReturnType<typeof usageReport>>): string {
  return reportCsv(
    USAGE_COLUMNS,
    page.data.flatMap((employee) => {
      const base = { employee_id: employee.employee_id, employee_name: employee.employee_name, from: page.from, to: page.to };
      return employee.usage.length ? employee.usage.map((u) => ({ ...base, ...u })) : [base];
    }),
  );
}
