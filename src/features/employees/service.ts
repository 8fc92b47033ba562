import { type SQL, sql } from "drizzle-orm";
import { behindRaisedVersions } from "../../auth/limiter";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { AUDIT_COLUMNS, auditValues, ledgerFacts, type RequestFacts } from "../../domain/audit";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import type { Env } from "../../kernel/env";
import { AppError } from "../../kernel/errors";
import type { Employee, EmployeeListFilter, EmployeeSort, UpdatedEmployee, UpdateEmployee } from "./schemas";

const notFound = (id: string) => new AppError("RESOURCE_NOT_FOUND", "No such employee", { employee_id: id });

/**
 * The directory's record of each employee `which` selects (over `e` and its user `u`), in `order`, `page` of
 * them: the page is chosen first, so records and names are built for its rows only. The manager's name comes
 * from the caller's own view when they see the manager, else from `app.employee_name` (an employee does not see
 * their manager's rows, yet is shown who it is).
 */
const records = (which: SQL, order: SQL = sql`e.id`, page: SQL = sql``) =>
  sql`select jsonb_build_object('id', e.id, 'user_id', e.user_id, 'display_name', u.display_name, 'email', u.email, 'external_subject', u.external_subject, 'status', u.status,
      'employee_number', e.employee_number, 'manager_id', e.manager_id,
      'manager_name', case when e.manager_id is not null then coalesce(mu.display_name, app.employee_name(e.manager_id)) end,
      'time_zone', e.time_zone, 'hire_date', e.hire_date, 'end_date', e.end_date, 'work_week', e.work_week, 'holiday_calendar', e.holiday_calendar) as employee
    from (select e.id, row_number() over (order by ${order}) as n from employees e join users u on u.id = e.user_id
          where ${which} order by ${order} ${page}) chosen
    join employees e on e.id = chosen.id join users u on u.id = e.user_id
    left join employees m on m.id = e.manager_id left join users mu on mu.id = m.user_id
    order by chosen.n`;

const SORTS: Record<EmployeeSort, SQL> = {
  name: sql`u.display_name, e.id`,
  "-name": sql`u.display_name desc, e.id desc`,
  email: sql`lower(u.email), e.id`,
  "-email": sql`lower(u.email) desc, e.id desc`,
  employee_number: sql`e.employee_number, e.id`,
  "-employee_number": sql`e.employee_number desc, e.id desc`,
  hire_date: sql`e.hire_date, e.id`,
  "-hire_date": sql`e.hire_date desc, e.id desc`,
};

/** `text` as an ILIKE pattern matching it anywhere, its own wildcards taken literally. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function directoryFilter(principal: Principal, filter: EmployeeListFilter, nowIso: string): SQL {
  const conditions = [sql`e.tenant_id = ${principal.tenantId}`];
  if (filter.q !== undefined) {
    const pattern = containing(filter.q);
    conditions.push(sql`(u.display_name ilike ${pattern} or u.email ilike ${pattern} or e.employee_number ilike ${pattern})`);
  }
  if (filter.manager_id !== undefined) conditions.push(sql`e.manager_id = ${filter.manager_id}`);
  if (filter.active !== undefined) {
    const active = sql`(u.status = 'active' and (e.end_date is null or e.end_date >= app.today_in(e.time_zone, ${nowIso}::timestamptz)))`;
    conditions.push(filter.active ? active : sql`not ${active}`);
  }
  if (filter.policy_key !== undefined) {
    conditions.push(sql`exists (select 1 from policy_assignments pa where pa.employee_id = e.id and pa.policy_key = ${filter.policy_key}
      and pa.starts_on <= app.today_in(e.time_zone, ${nowIso}::timestamptz)
      and (pa.ends_on is null or pa.ends_on >= app.today_in(e.time_zone, ${nowIso}::timestamptz)))`);
  }
  return sql.join(conditions, sql` and `);
}

/**
 * A page of the people the caller may see (row-level security: themself, their direct reports, or the whole
 * tenant for HR Admins, System Admins and Auditors), with the number of matches: one round trip, one snapshot.
 */
export async function listEmployees(config: Config, facts: RequestFacts, principal: Principal, filter: EmployeeListFilter) {
  const which = directoryFilter(principal, filter, new Date(facts.now).toISOString());
  const [rows, totals] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<{ employee: Employee }>(records(which, SORTS[filter.sort], sql`offset ${filter.offset} limit ${filter.limit}`)),
      db.execute<{ total: number }>(sql`select count(*)::int as total from employees e join users u on u.id = e.user_id where ${which}`),
    ],
    { readOnly: true, isolation: "RepeatableRead" },
  );
  return { data: rows.rows.map((r) => r.employee), total: totals.rows[0]!.total, offset: filter.offset, limit: filter.limit };
}

/** One employee's record, or 404 when the caller may not see them (other tenants' included). */
export async function getEmployee(config: Config, principal: Principal, employeeId: string): Promise<Employee> {
  const [rows] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [db.execute<{ employee: Employee }>(records(sql`e.id = ${employeeId}`))],
    { readOnly: true },
  );
  const row = rows.rows[0];
  if (!row) throw notFound(employeeId);
  return row.employee;
}

/** Rows if `employeeId` is `managerId` or one of the managers above them (bounded walk). */
function managerChainContains(managerId: string | null, employeeId: string) {
  return sql`with recursive chain (id, manager_id, depth) as (
      select id, manager_id, 1 from employees where id = ${managerId}::uuid
      union all
      select e.id, e.manager_id, c.depth + 1 from employees e join chain c on e.id = c.manager_id where c.depth < 1000
    ) select 1 from chain where id = ${employeeId}::uuid`;
}

/**
 * Refuses (404, 403) an employee whose user the caller may not manage (HR never edits a System Admin's record),
 * an erased person's record (409) and a hire date after the end date (400).
 */
const editableRecord = (employeeId: string, hireDate: string | undefined) =>
  sql`select e.user_id, app.assert_may_manage(e.user_id), app.assert_record_editable(e.id, ${hireDate ?? null}::date)
    from employees e where e.id = ${employeeId}`;

/** What nobody changes on their own record: the dates and days their leave is counted by. */
const NOT_ON_ONESELF = ["hire_date", "work_week", "time_zone", "holiday_calendar"] as const;

/**
 * Changes an employee's record (HR Admin, System Admin, for those they may manage), audited; answers the record.
 * A new email ends every session of the person, behind raised versions in their Durable Object like a password
 * reset: the very next request of any of their tokens is refused. Name and email live on the user, the rest on
 * the employee; both change in one transaction.
 */
export async function updateEmployee(
  config: Config,
  env: Env,
  facts: RequestFacts,
  principal: Principal,
  employeeId: string,
  change: UpdateEmployee,
): Promise<UpdatedEmployee> {
  if (change.manager_id === employeeId)
    throw new AppError("VALIDATION_FAILED", "An employee cannot manage themself", {
      issues: [{ path: "manager_id", message: "must not be the employee", code: "custom" }],
    });
  const own = NOT_ON_ONESELF.filter((field) => change[field] !== undefined);
  if (employeeId === principal.employeeId && own.length > 0)
    throw new AppError("FORBIDDEN", "Nobody changes the dates and days their own leave is counted by; another admin must", { fields: own });
  const write = (sessionVersion: number | null, userId: string | null) =>
    updateRecord(config, facts, principal, employeeId, change, sessionVersion, userId);
  if (change.email === undefined) return write(null, null);
  if (principal.kind !== "user") throw new AppError("FORBIDDEN", "API keys cannot change a sign-in email");
  const [target] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [db.execute<{ user_id: string }>(editableRecord(employeeId, change.hire_date))],
    { readOnly: true },
  );
  const userId = target.rows[0]?.user_id;
  if (!userId) throw notFound(employeeId);
  return behindRaisedVersions(env, `user:${userId}`, ["sessionVersion"], facts.now, ({ sessionVersion }) => write(sessionVersion, userId));
}

async function updateRecord(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  employeeId: string,
  change: UpdateEmployee,
  sessionVersion: number | null,
  userId: string | null,
): Promise<UpdatedEmployee> {
  // The new manager's own chain of managers must not lead back to this employee (no management cycles).
  const newManager = change.manager_id ?? null;
  const acyclic = sql`not exists (${managerChainContains(newManager, employeeId)})`;
  const employeeSet = [
    ...(change.manager_id !== undefined ? [sql`manager_id = ${change.manager_id}::uuid`] : []),
    ...(change.time_zone !== undefined ? [sql`time_zone = ${change.time_zone}`] : []),
    ...(change.work_week !== undefined ? [sql`work_week = ${`{${[...change.work_week].sort().join(",")}}`}::smallint[]`] : []),
    ...(change.employee_number !== undefined ? [sql`employee_number = ${change.employee_number}`] : []),
    ...(change.hire_date !== undefined ? [sql`hire_date = ${change.hire_date}::date`] : []),
    ...(change.holiday_calendar !== undefined ? [sql`holiday_calendar = ${change.holiday_calendar}`] : []),
  ];
  const userSet = [
    ...(change.display_name !== undefined ? [sql`display_name = ${change.display_name}`] : []),
    ...(change.email !== undefined ? [sql`email = ${change.email}`] : []),
  ];
  const now = new Date(facts.now).toISOString();
  const employeeUpdate =
    employeeSet.length > 0
      ? sql`update employees set ${sql.join(employeeSet, sql`, `)} where id = ${employeeId} and ${acyclic} returning id, user_id, holiday_calendar, work_week`
      : sql`select id, user_id, holiday_calendar, work_week from employees where id = ${employeeId}`;
  const userUpdate =
    userSet.length > 0
      ? sql`update users set ${sql.join(userSet, sql`, `)}, updated_at = ${now} where id in (select user_id from changed) returning id`
      : sql`select user_id as id from changed`;
  const sessions =
    sessionVersion === null ? sql`select 0` : sql`select app.end_all_sessions(${userId}, ${sessionVersion}, ${now}) from user_changed`;
  const { manager_id, work_week, holiday_calendar, hire_date, ...personal } = change;
  const [, result, record] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute(editableRecord(employeeId, change.hire_date)),
    db.execute<{
      changed: number;
      cycle: boolean;
      corrections: UpdatedEmployee["corrections"] | null;
    }>(sql`with before as (select holiday_calendar, work_week from employees where id = ${employeeId}),
      changed as (${employeeUpdate}),
      user_changed as (${userUpdate}),
      -- A new holiday calendar or work week reprices their open requests from today on (given the new values: this
      -- statement's own update is not visible to the function).
      repriced as (select app.reprice_employee_requests(c.id, jsonb_build_object('holiday_calendar', c.holiday_calendar, 'work_week', to_jsonb(c.work_week),
          'reason', 'The employee ' || concat_ws(' and ',
            case when c.holiday_calendar is distinct from b.holiday_calendar then 'now follows holiday calendar ' || c.holiday_calendar end,
            case when c.work_week is distinct from b.work_week then 'now works on ISO weekdays ' || array_to_string(c.work_week, ', ') end),
          'now', ${now}::text, 'facts', ${JSON.stringify(ledgerFacts(facts))}::jsonb)) as corrections
        from changed c cross join before b
        where c.holiday_calendar is distinct from b.holiday_calendar or c.work_week is distinct from b.work_week),
      sessions as (${sessions}),
      audit as (insert into audit_log ${AUDIT_COLUMNS}
        select ${auditValues(facts, principal, { action: "employee.update", targetType: "employee", targetId: employeeId, details: { manager_id, work_week, holiday_calendar, fields: Object.keys(change) }, personalDetails: { ...personal, hire_date } })}
        from user_changed returning id)
      select (select count(*)::int from user_changed) as changed, (select count(*)::int from sessions) as sessions,
        (select corrections from repriced) as corrections,
        exists (${managerChainContains(newManager, employeeId)}) as cycle`),
    db.execute<{ employee: Employee }>(records(sql`e.id = ${employeeId}`)),
  ]);
  const row = result.rows[0]!;
  if (row.cycle && row.changed === 0) throw new AppError("CONFLICT", "That manager reports, directly or not, to this employee");
  if (row.changed === 0) throw notFound(employeeId);
  return { ...record.rows[0]!.employee, corrections: row.corrections ?? [] };
}
