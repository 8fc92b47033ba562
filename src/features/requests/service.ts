import { sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { employeeLookup, seenOrNotFound, targetEmployee } from "../../domain/employees";
import {
  type LeaveRequest,
  openRequestRows,
  REQUEST_COLUMNS,
  type RequestList,
  requestPage,
  requestPageQuery,
  type StoredRequestRow,
} from "../../domain/leave-requests";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import { AppError } from "../../kernel/errors";

const REQUESTS: RequestList = { name: "requests", direction: "desc" };
/** Requests of one employee (the caller by default), newest first; 404 for an employee the caller may not see. */
export async function listRequests(
  config: Config,
  principal: Principal,
  nowMs: number,
  query: { employee_id?: string | undefined; status?: string | undefined; limit: number; cursor?: string | undefined },
) {
  const employee = targetEmployee(principal, query.employee_id);
  const status = query.status ? sql`r.status = ${query.status}` : sql`true`;
  const [visible, page] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      employeeLookup(db, employee),
      db.execute<StoredRequestRow>(
        requestPageQuery(principal, REQUESTS, sql`r.employee_id = ${employee} and ${status}`, query.limit, query.cursor),
      ),
    ],
    { readOnly: true },
  );
  seenOrNotFound(visible, employee);
  return requestPage(config, principal, nowMs, REQUESTS, page.rows, query.limit);
}

export async function getRequest(config: Config, principal: Principal, nowMs: number, id: string): Promise<LeaveRequest> {
  const [result] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [db.execute<StoredRequestRow>(sql`select ${REQUEST_COLUMNS} from leave_requests r where r.id = ${id}`)],
    { readOnly: true },
  );
  const row = result.rows[0];
  if (!row) throw new AppError("RESOURCE_NOT_FOUND", "No such request", { request_id: id });
  const [request] = await openRequestRows(config, principal, nowMs, [row]);
  return request!;
}
