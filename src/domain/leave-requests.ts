import { z } from "@hono/zod-openapi";
import { type SQL, sql } from "drizzle-orm";
import type { Principal } from "../auth/principal";
import { END_PARTS, REQUEST_STATUSES, START_PARTS } from "../db/schema";
import { type CursorKey, decodeCursor, isTimestampText, Pagination, pageOf } from "../kernel/pagination";

/** A leave request as the API shows it, built in SQL by `app.request_json` like the answers of writes. */
export const LeaveRequestSchema = z
  .object({
    id: z.uuid(),
    employee_id: z.uuid(),
    policy_key: z.string(),
    policy_version_id: z.uuid(),
    start_date: z.string(),
    end_date: z.string(),
    start_part: z.enum(START_PARTS),
    end_part: z.enum(END_PARTS),
    days: z.number().openapi({ description: "Working days covered (half days count 0.5)" }),
    amount: z.number().openapi({ description: "What the request costs, in the policy's unit" }),
    unit: z.string(),
    reason: z.string().nullable(),
    status: z.enum(REQUEST_STATUSES),
    approvals_required: z.number().int(),
    approvals: z.array(
      z.object({ approver_id: z.uuid(), decision: z.enum(["approve", "reject"]), comment: z.string().nullable(), decided_at: z.string() }),
    ),
    expires_at: z.string(),
    submitted_at: z.string(),
    resolved_at: z.string().nullable(),
  })
  .openapi("LeaveRequest");

export type LeaveRequest = z.infer<typeof LeaveRequestSchema>;

export const RequestParams = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });
export const RequestPage = z.object({ data: z.array(LeaveRequestSchema), pagination: Pagination }).openapi("LeaveRequestPage");

const afterCursor = (cursor: string | undefined, direction: "asc" | "desc"): SQL => {
  if (!cursor) return sql`true`;
  const [at, id] = decodeCursor<[string, string]>(cursor, [
    isTimestampText,
    (v): v is string => typeof v === "string" && /^[0-9a-f-]{36}$/.test(v),
  ]);
  return direction === "desc"
    ? sql`(r.submitted_at, r.id) < (${at}::timestamptz, ${id}::uuid)`
    : sql`(r.submitted_at, r.id) > (${at}::timestamptz, ${id}::uuid)`;
};

const keyOf = (r: LeaveRequest): CursorKey => [r.submitted_at, r.id];

/** One page of the caller's tenant's requests that `where` selects, by submission time. */
export function requestPageQuery(principal: Principal, where: SQL, direction: "asc" | "desc", limit: number, cursor?: string) {
  const order = direction === "desc" ? sql`r.submitted_at desc, r.id desc` : sql`r.submitted_at, r.id`;
  return sql`select app.request_json(r) as request from leave_requests r
    where r.tenant_id = ${principal.tenantId} and ${where} and ${afterCursor(cursor, direction)} order by ${order} limit ${limit + 1}`;
}

/** The rows of `requestPageQuery` (one more than asked, to know whether more follow) as a page. */
export const requestPage = (rows: { request: LeaveRequest }[], limit: number) =>
  pageOf(
    rows.map((row) => row.request),
    limit,
    keyOf,
  );
