import { sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { logConfidentialReads, type RequestFacts } from "../../domain/audit";
import { employeeLookup, seenOrNotFound, targetEmployee } from "../../domain/employees";
import {
  type LeaveRequest,
  openComment,
  openRequestRows,
  type RequestComment,
  type RequestList,
  requestByIdQuery,
  requestPage,
  requestPageQuery,
  type StoredComment,
  type StoredRequestRow,
} from "../../domain/leave-requests";
import { type DataKeyJson, KeyRing } from "../../domain/sealing";
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

/**
 * A request's comment thread, oldest first (at most app.max_request_comments() of them), opened; 404 when the
 * caller may not see the request. Another person's comments shown are access-logged in the same transaction.
 */
export async function listComments(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  requestId: string,
): Promise<RequestComment[]> {
  const [request, thread] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<{ id: string }>(sql`select id from leave_requests where id = ${requestId}`),
    db.execute<{ comment: StoredComment; key: DataKeyJson }>(sql`with page as (
        select c, c.id, c.employee_id, c.position from request_comments c where c.request_id = ${requestId}
      ), logged as (${logConfidentialReads(facts, principal, "request_comment", sql`true`)})
      select app.comment_json(p.c) as comment, app.data_key_json(k) as key
      from page p join data_keys k on k.id = (p.c).data_key_id order by p.position`),
  ]);
  if (request.rows.length === 0) throw new AppError("RESOURCE_NOT_FOUND", "No such request", { request_id: requestId });
  const ring = new KeyRing(config, principal, facts.now, Object.fromEntries(thread.rows.map((row) => [row.key.id, row.key])));
  return Promise.all(thread.rows.map((row) => openComment(ring, row.comment)));
}
