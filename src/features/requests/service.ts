import type { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { logConfidentialReads, type RequestFacts } from "../../domain/audit";
import { balancePath, lowestPoint, type PathFacts } from "../../domain/balance-path";
import { assertWithinForecastHorizon } from "../../domain/calendar";
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
import type { SimulationBody } from "./schemas";

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

type SimulationFacts = {
  employee_id: string;
  employee_name: string;
  policy_key: string;
  unit: string;
  tracking: "tracked" | "untracked";
  negative_allowance: number;
  approvals_required: number;
  days: number;
  request_days: PathFacts["request"];
  amount: number;
  posted: number;
  pending: number;
  booked: string[];
  today: string;
  until: string;
  opening: number;
  entries: PathFacts["entries"];
  pending_days: PathFacts["pendingDays"];
  accruals: PathFacts["accruals"];
  carryovers: PathFacts["carryovers"];
  year_ends: PathFacts["yearEnds"];
};

/**
 * What a request would cost and do, and the balance's path to `until` with it (POST /v1/requests/simulations):
 * priced and checked by the database as a submission is (app.simulate_request, one read-only round trip), the
 * path drawn by balancePath. Nothing is written.
 */
export async function simulateRequest(config: Config, facts: RequestFacts, principal: Principal, body: z.output<typeof SimulationBody>) {
  assertWithinForecastHorizon(body.end_date, "end_date", facts.now);
  assertWithinForecastHorizon(body.until, "until", facts.now);
  const input = { ...body, now: new Date(facts.now).toISOString() };
  const [result] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [db.execute<{ facts: SimulationFacts }>(sql`select app.simulate_request(${JSON.stringify(input)}::jsonb) as facts`)],
    { readOnly: true },
  );
  const f = result.rows[0]!.facts;
  const path = balancePath({
    today: f.today,
    until: f.until,
    opening: Number(f.opening),
    entries: f.entries,
    pendingDays: f.pending_days,
    accruals: f.accruals,
    request: f.request_days,
    carryovers: f.carryovers,
    yearEnds: f.year_ends,
  });
  const tracked = f.tracking === "tracked";
  const available = tracked ? f.posted - f.pending + f.negative_allowance : null;
  const refusal =
    f.booked.length > 0
      ? { code: "CONFLICT" as const, message: `Another open request already takes ${f.booked.join(", ")}` }
      : available !== null && f.amount > available
        ? { code: "INSUFFICIENT_BALANCE" as const, message: "The balance available does not cover the request" }
        : null;
  const lowest = lowestPoint(path);
  return {
    employee_id: f.employee_id,
    employee_name: f.employee_name,
    policy_key: f.policy_key,
    unit: f.unit,
    tracking: f.tracking,
    days: f.days,
    amount: f.amount,
    outcome: refusal ? ("refused" as const) : f.approvals_required === 0 ? ("approved" as const) : ("pending" as const),
    refusal,
    available_now: available,
    today: f.today,
    until: f.until,
    path,
    closing_balance: path.at(-1)!.balance,
    lowest,
    below_allowance: tracked ? lowest.balance < -f.negative_allowance : null,
  };
}
