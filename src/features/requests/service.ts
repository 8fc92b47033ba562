import { sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import type { RequestFacts } from "../../domain/audit";
import { employeeLookup, seenOrNotFound, targetEmployee } from "../../domain/employees";
import {
  type LeaveRequest,
  openRequestRows,
  type RequestList,
  requestByIdQuery,
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
  facts: RequestFacts,
  principal: Principal,
  query: { employee_id?: string | undefined; status?: string | undefined; limit: number; cursor?: string | undefined },
) {
  const employee = targetEmployee(principal, query.employee_id);
  const status = query.status ? sql`r.status = ${query.status}` : sql`true`;
  // Not read-only: showing another person's reasons writes their access log in the same transaction.
  const [visible, page] = await runInDatabase(config, userCaller(principal), (db) => [
    employeeLookup(db, employee),
    db.execute<StoredRequestRow>(
      requestPageQuery(facts, principal, REQUESTS, sql`r.employee_id = ${employee} and ${status}`, query.limit, query.cursor),
    ),
  ]);
  seenOrNotFound(visible, employee);
  return requestPage(config, principal, facts.now, REQUESTS, page.rows, query.limit);
}

export async function getRequest(config: Config, facts: RequestFacts, principal: Principal, id: string): Promise<LeaveRequest> {
  const [result] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<StoredRequestRow>(requestByIdQuery(facts, principal, id)),
  ]);
  const row = result.rows[0];
  if (!row) throw new AppError("RESOURCE_NOT_FOUND", "No such request", { request_id: id });
  const [request] = await openRequestRows(config, principal, facts.now, [row]);
  return request!;
}
