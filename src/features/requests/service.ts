import { type SQL, sql } from "drizzle-orm";
import { type Principal, userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import type { Config } from "../../edge/config";
import { AppError } from "../../edge/errors";
import { type CursorKey, decodeCursor, isTimestampText, pageOf } from "../../edge/pagination";
import { employeeLookup, seenOrNotFound, targetEmployee } from "../users/visible-employee";

/** A request as the API shows it: built by `app.request_json` (migrations/0013), like the answers of writes. */
export type LeaveRequestView = Record<string, unknown> & { id: string; submitted_at: string };

const afterCursor = (cursor: string | undefined, direction: "asc" | "desc"): SQL => {
  if (!cursor) return sql`true`;
  const [at, id] = decodeCursor<[string, string]>(cursor, [isTimestampText, (v): v is string => typeof v === "string" && /^[0-9a-f-]{36}$/.test(v)]);
  return direction === "desc" ? sql`(r.submitted_at, r.id) < (${at}::timestamptz, ${id}::uuid)` : sql`(r.submitted_at, r.id) > (${at}::timestamptz, ${id}::uuid)`;
};
const keyOf = (r: LeaveRequestView): CursorKey => [r.submitted_at, r.id];

function pageQuery(principal: Principal, where: SQL, direction: "asc" | "desc", limit: number, cursor?: string) {
  const order = direction === "desc" ? sql`r.submitted_at desc, r.id desc` : sql`r.submitted_at, r.id`;
  return sql`select app.request_json(r) as request from leave_requests r
    where r.tenant_id = ${principal.tenantId} and ${where} and ${afterCursor(cursor, direction)} order by ${order} limit ${limit + 1}`;
}

/** Requests of one employee (the caller by default), newest first; 404 for an employee the caller may not see. */
export async function listRequests(config: Config, principal: Principal, query: { employee_id?: string | undefined; status?: string | undefined; limit: number; cursor?: string | undefined }) {
  const employee = targetEmployee(principal, query.employee_id);
  const status = query.status ? sql`r.status = ${query.status}` : sql`true`;
  const [visible, page] = await runInDatabase(config, userCaller(principal), (db) => [
    employeeLookup(db, employee),
    db.execute<{ request: LeaveRequestView }>(pageQuery(principal, sql`r.employee_id = ${employee} and ${status}`, "desc", query.limit, query.cursor)),
  ], { readOnly: true });
  seenOrNotFound(visible, employee);
  return pageOf(page.rows.map((row) => row.request), query.limit, keyOf);
}

/**
 * What waits for the caller's decision, oldest first: pending, unexpired requests of their direct reports
 * (or of anyone, for HR Admins and System Admins), never their own, not yet decided by them.
 */
export async function approvalInbox(config: Config, principal: Principal, now: number, query: { limit: number; cursor?: string | undefined }) {
  const anyone = principal.roles.includes("hr_admin") || principal.roles.includes("system_admin");
  const scope = anyone ? sql`true` : sql`exists (select 1 from employees e where e.id = r.employee_id and e.manager_id = ${principal.employeeId})`;
  const where = sql`r.status = 'pending' and r.expires_at > ${new Date(now).toISOString()}::timestamptz
    and r.employee_id is distinct from ${principal.employeeId}::uuid and ${scope}
    and not exists (select 1 from approvals a where a.request_id = r.id and a.approver_id = ${principal.userId})`;
  const [page] = await runInDatabase(config, userCaller(principal), (db) => [db.execute<{ request: LeaveRequestView }>(pageQuery(principal, where, "asc", query.limit, query.cursor))], {
    readOnly: true,
  });
  return pageOf(page.rows.map((row) => row.request), query.limit, keyOf);
}

export async function getRequest(config: Config, principal: Principal, id: string): Promise<LeaveRequestView> {
  const [result] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<{ request: LeaveRequestView }>(sql`select app.request_json(r) as request from leave_requests r where r.id = ${id}`),
  ], { readOnly: true });
  const row = result.rows[0];
  if (!row) throw new AppError("RESOURCE_NOT_FOUND", "No such request", { request_id: id });
  return row.request;
}
