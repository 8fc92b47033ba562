import { z } from "@hono/zod-openapi";
import { type SQL, sql } from "drizzle-orm";
import { userCaller } from "../auth/principal";
import { runInDatabase } from "../db/door";
import { END_PARTS, REQUEST_STATUSES, START_PARTS } from "../db/schema";
import type { Config } from "../kernel/config";
import type { Principal } from "../kernel/context";
import { CalendarDate, isInstant } from "../kernel/dates";
import { AppError } from "../kernel/errors";
import { type CursorKey, decodeCursor, isUuid, Pagination, pageOf } from "../kernel/pagination";
import { logConfidentialReads, type RequestFacts } from "./audit";
import type { ConfidentialWrite } from "./ledger-write";
import { type DataKeyJson, KeyRing, seal } from "./sealing";

/** A leave request as the API shows it, built in SQL by `app.request_json` like the answers of writes. */
export const LeaveRequestSchema = z
  .object({
    id: z.uuid(),
    employee_id: z.uuid().openapi({ description: "The employee taking the leave" }),
    employee_name: z.string().openapi({ description: "Their name, as the directory shows it" }),
    policy_key: z.string(),
    policy_version_id: z.uuid().openapi({ description: "The policy version in force on the start date, whose rules the request follows" }),
    start_date: CalendarDate.openapi({ description: "First day of the leave" }),
    end_date: CalendarDate.openapi({ description: "Last day of the leave" }),
    start_part: z.enum(START_PARTS).openapi({ description: "`afternoon`: only the second half of the first day is taken" }),
    end_part: z.enum(END_PARTS).openapi({ description: "`midday`: only the first half of the last day is taken" }),
    days: z.number().openapi({ description: "Working days covered (half days count 0.5; days off and holidays are not counted)" }),
    amount: z
      .number()
      .openapi({ description: "What the request costs, in the policy's unit (a day is 1 `day`, 2 `half_day` or 8 `hour`)" }),
    unit: z.string().openapi({ description: "The policy's unit: `day`, `half_day` or `hour`" }),
    reason: z.string().nullable().openapi({ description: "The employee's note; null when none was given" }),
    status: z.enum(REQUEST_STATUSES).openapi({
      description: "`pending` until decided, cancelled or expired (a pending request past `expires_at` no longer holds its days)",
    }),
    approvals_required: z.number().int().openapi({ description: "Distinct approvals needed (the policy's rule when it was submitted)" }),
    approvals: z
      .array(
        z.object({
          approver_id: z.uuid().openapi({ description: "The user id of who decided" }),
          approver_name: z.string().openapi({ description: "Their name" }),
          decision: z.enum(["approve", "reject"]),
          comment: z.string().nullable().openapi({ description: "The approver's comment; null when none was given" }),
          decided_at: z.iso.datetime({ offset: true }),
          on_behalf_of: z
            .uuid()
            .nullable()
            .openapi({ description: "The manager (employee id) the approver decided for under a delegation; null otherwise" }),
          on_behalf_of_name: z.string().nullable(),
        }),
      )
      .openapi({ description: "Decisions so far, oldest first" }),
    expires_at: z.iso
      .datetime({ offset: true })
      .openapi({ description: "When the request expires if still pending: submission time plus the policy's approval TTL" }),
    submitted_by: z
      .uuid()
      .openapi({ description: "The user id of who submitted it: the employee, or HR or their manager on their behalf" }),
    submitted_by_name: z.string().openapi({ description: "Their name" }),
    submitted_at: z.iso.datetime({ offset: true }),
    resolved_at: z.iso
      .datetime({ offset: true })
      .nullable()
      .openapi({ description: "When it was approved, rejected, cancelled or expired; null while pending" }),
    corrections: z
      .array(
        z.object({
          corrected_at: z.iso.datetime({ offset: true }),
          reason: z.string().openapi({ description: "Why, e.g. `2027-03-26 (Good Friday) became a holiday of calendar default`" }),
          amount_change: z
            .number()
            .openapi({ description: "How much more (negative: less) the request is charged since, in the policy's unit" }),
        }),
      )
      .openapi({
        description:
          "Changes to what the request is charged after it was made, oldest first: a holiday added or removed on one of its days, or its employee " +
          "moved to another holiday calendar or work week. `days` and `amount` are what it is charged now; a request left with no working day is cancelled.",
      }),
  })
  .openapi("LeaveRequest");

export type LeaveRequest = z.infer<typeof LeaveRequestSchema>;

/** A request repriced because the days it is charged for changed (`app.reprice_request`), as HR sees it. */
export const RequestCorrection = z
  .object({
    request_id: z.uuid(),
    employee_id: z.uuid(),
    employee_name: z.string(),
    policy_key: z.string(),
    unit: z.string().openapi({ description: "The policy's unit" }),
    status: z.enum(REQUEST_STATUSES).openapi({ description: "The request's status after it (`cancelled` when no working day is left)" }),
    days_before: z.number(),
    days_after: z.number(),
    amount_before: z.number(),
    amount_after: z.number(),
    available: z
      .number()
      .nullable()
      .openapi({ description: "What the balance has available after it (negative allowance included); null for untracked policies" }),
    below_allowance: z.boolean().openapi({
      description:
        "The correction was posted although it takes the balance below its negative allowance (the leave was taken): HR should look",
    }),
    reason: z.string(),
  })
  .openapi("RequestCorrection");

/**
 * Emma's request for 21–23 December 2026 in the demo tenant (`acme`, scripts/lib/seed-data.ts) as submitted:
 * pending, its hold placed. The base of the documented examples of the request and approval routes.
 */
export const LEAVE_REQUEST_EXAMPLE: LeaveRequest = {
  id: "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
  employee_id: "00000000-0000-4000-8100-000000000204",
  employee_name: "Emma Employee",
  policy_key: "pto-standard",
  policy_version_id: "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
  start_date: "2026-12-21",
  end_date: "2026-12-23",
  start_part: "morning",
  end_part: "evening",
  days: 3,
  amount: 3,
  unit: "day",
  reason: "Family visit",
  status: "pending",
  approvals_required: 1,
  approvals: [],
  expires_at: "2026-12-08T08:47:13.502+00:00",
  submitted_by: "00000000-0000-4000-8100-000000000104",
  submitted_by_name: "Emma Employee",
  submitted_at: "2026-12-01T08:47:13.502+00:00",
  resolved_at: null,
  corrections: [],
};

/** The demo data's pending request (Emma at the dentist), in examples of lists and the approvals inbox. */
export const DENTIST_REQUEST_EXAMPLE: LeaveRequest = {
  ...LEAVE_REQUEST_EXAMPLE,
  id: "3f9c2a71-5b8e-4d06-a1c4-7e2b9d8f6a13",
  start_date: "2026-12-14",
  end_date: "2026-12-14",
  days: 1,
  amount: 1,
  reason: "Dentist",
  expires_at: "2026-12-07T09:15:42.318+00:00",
  submitted_at: "2026-11-30T09:15:42.318+00:00",
};

export const RequestParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: LEAVE_REQUEST_EXAMPLE.id }),
});
export const RequestPage = z.object({ data: z.array(LeaveRequestSchema), pagination: Pagination }).openapi("LeaveRequestPage");

/** The two lists of requests: an employee's, newest first, and the approvals inbox, oldest first. */
export type RequestList = { name: "requests"; direction: "desc" } | { name: "approvals"; direction: "asc" };

const afterCursor = (list: RequestList, cursor: string | undefined): SQL => {
  if (!cursor) return sql`true`;
  const [at, id] = decodeCursor<[string, string]>(list.name, cursor, [isInstant, isUuid]);
  return list.direction === "desc"
    ? sql`(r.submitted_at, r.id) < (${at}::timestamptz, ${id}::uuid)`
    : sql`(r.submitted_at, r.id) > (${at}::timestamptz, ${id}::uuid)`;
};

const keyOf = (r: Pick<LeaveRequest, "submitted_at" | "id">): CursorKey => [r.submitted_at, r.id];

/**
 * A request as the database builds it (`app.request_json`): its reason and its approvals' comments sealed, with
 * the ids of the data keys that open them (and each approval's id, which its comment is bound to).
 */
export type StoredRequest = Omit<LeaveRequest, "approvals"> & {
  data_key_id: string | null;
  approvals: (LeaveRequest["approvals"][number] & { id: string; data_key_id: string | null })[];
};

/** A stored request, read with the keys its sealed fields need. */
export type StoredRequestRow = {
  request: StoredRequest;
  keys: Record<string, DataKeyJson>;
};

/**
 * Requests that `where` selects (over `r`, the leave_requests row), in `order`, at most `limit` of them, read with
 * the keys their sealed fields need — and, in the same statement, the access logged: one `confidential.read`
 * audit row per other person whose reason or approval comment the caller is shown (with the requests' ids).
 * Reads of one's own requests are not logged. `extra` more rows may be read (to see whether more follow); they
 * are not shown, so not logged.
 */
export function requestsRead(facts: RequestFacts, principal: Principal, where: SQL, order: SQL, limit: number, extra = 0) {
  return sql`with page as (
      select r, r.id, r.employee_id, r.submitted_at, row_number() over (order by ${order}) as n
      from leave_requests r where r.tenant_id = ${principal.tenantId} and ${where} order by ${order} limit ${limit + extra}
    ), logged as (${logConfidentialReads(
      facts,
      principal,
      "leave_request",
      sql`p.n <= ${limit} and ((p.r).reason is not null or exists (select 1 from approvals a where a.request_id = p.id and a.comment is not null))`,
    )})
    select app.request_json(p.r) as request, app.request_keys(p.r) as keys from page p order by p.n`;
}

/** An approval with its comment opened (bound to the approval's id), that id and its key's left out. */
export async function openApproval<A extends { id: string; data_key_id: string | null; comment: string | null }>(
  ring: KeyRing,
  { id, data_key_id, ...approval }: A,
): Promise<Omit<A, "id" | "data_key_id">> {
  return { ...approval, comment: await ring.open(data_key_id, { table: "approvals", column: "comment", row: id }, approval.comment) };
}

/** The request as the API shows it: its sealed fields opened, the keys' ids left out. */
export async function openRequest(ring: KeyRing, stored: StoredRequest): Promise<LeaveRequest> {
  const { data_key_id, approvals, ...request } = stored;
  await ring.require([data_key_id, ...approvals.map((a) => a.data_key_id)]);
  return {
    ...request,
    reason: await ring.open(data_key_id, { table: "leave_requests", column: "reason", row: request.id }, request.reason),
    approvals: await Promise.all(approvals.map((approval) => openApproval(ring, approval))),
  };
}

/** Opens requests read with their keys (one ring: the keys they share are unwrapped once). */
export async function openRequestRows(
  config: Config,
  principal: Principal,
  nowMs: number,
  rows: StoredRequestRow[],
): Promise<LeaveRequest[]> {
  const ring = new KeyRing(config, principal, nowMs, Object.assign({}, ...rows.map((row) => row.keys)));
  return Promise.all(rows.map((row) => openRequest(ring, row.request)));
}

/** One page of the caller's tenant's requests that `where` selects, by submission time (access logged). */
export function requestPageQuery(facts: RequestFacts, principal: Principal, list: RequestList, where: SQL, limit: number, cursor?: string) {
  const order = list.direction === "desc" ? sql`r.submitted_at desc, r.id desc` : sql`r.submitted_at, r.id`;
  return requestsRead(facts, principal, sql`${where} and ${afterCursor(list, cursor)}`, order, limit, 1);
}

/** One request by id, if the caller may see it (access logged). */
export const requestByIdQuery = (facts: RequestFacts, principal: Principal, id: string) =>
  requestsRead(facts, principal, sql`r.id = ${id}`, sql`r.id`, 1);

/**
 * The rows of `requestPageQuery` (one more than asked, to know whether more follow) as a page. Only the rows
 * shown are opened: the extra one only says that more follow.
 */
export async function requestPage(
  config: Config,
  principal: Principal,
  nowMs: number,
  list: RequestList,
  rows: StoredRequestRow[],
  limit: number,
) {
  const { pagination } = pageOf(
    list.name,
    rows.map((row) => row.request),
    limit,
    keyOf,
  );
  return { data: await openRequestRows(config, principal, nowMs, rows.slice(0, limit)), pagination };
}

/** Opens a write's answer: the request it changed. */
const openAnswer = (body: unknown, ring: KeyRing) => openRequest(ring, body as StoredRequest);

/** Cancelling: nothing to seal; the answer's reason and comments are opened. */
export const CANCELLATION: ConfidentialWrite = { subject: async () => null, seal: async () => ({}), open: openAnswer };

/**
 * Submitting (for oneself, or for `employee_id` on their behalf): the reason is sealed with that employee's key for
 * the start date's year, bound to the id the Worker gives the request.
 */
export function submission(
  principal: Principal,
  input: { employee_id?: string | undefined; start_date: string; reason?: string | undefined },
): ConfidentialWrite {
  const { reason } = input;
  const employeeId = input.employee_id ?? principal.employeeId;
  return {
    subject: async () => {
      if (!employeeId) throw new AppError("FORBIDDEN", "Only employees may request leave (name an employee_id to record someone else's)");
      return reason === undefined ? null : { subject: { employeeId, year: Number(input.start_date.slice(0, 4)) } };
    },
    seal: async (key) => {
      const id = crypto.randomUUID();
      return { id, reason: await seal(key, { tenantId: principal.tenantId, table: "leave_requests", column: "reason", row: id }, reason!) };
    },
    open: openAnswer,
  };
}

/**
 * A text written about a request (an approval's comment, a comment of its thread), sealed with the requester's
 * key for the request's year (read first, with the request: the caller only knows its id), bound to the id the
 * Worker gives the new row. `fields` names what the database function takes: the row's id and the sealed text.
 */
function sealedOnRequest(
  config: Config,
  principal: Principal,
  requestId: string,
  text: string | null,
  place: { table: string; column: string; idField: string; textField: string },
  open: ConfidentialWrite["open"],
): ConfidentialWrite {
  return {
    subject: async () => {
      if (text === null) return null;
      const [result] = await runInDatabase(
        config,
        userCaller(principal),
        (db) => [
          db.execute<{ employee_id: string; year: number; key: DataKeyJson | null }>(sql`
            select r.employee_id, extract(year from r.start_date)::int as year, app.data_key_json(k) as key
            from leave_requests r left join data_keys k
              on k.tenant_id = r.tenant_id and k.employee_id = r.employee_id and k.year = extract(year from r.start_date)
            where r.id = ${requestId}`),
        ],
        { readOnly: true },
      );
      const row = result.rows[0];
      if (!row) throw new AppError("RESOURCE_NOT_FOUND", "No such request", { request_id: requestId });
      return { subject: { employeeId: row.employee_id, year: row.year }, stored: row.key };
    },
    seal: async (key) => {
      const id = crypto.randomUUID();
      const sealed = await seal(key, { tenantId: principal.tenantId, table: place.table, column: place.column, row: id }, text!);
      return { [place.idField]: id, [place.textField]: sealed };
    },
    open,
  };
}

/** Deciding: the approval's comment, if any, sealed for the requester. */
export const sealedDecision = (config: Config, principal: Principal, requestId: string, comment: string | null) =>
  sealedOnRequest(
    config,
    principal,
    requestId,
    comment,
    { table: "approvals", column: "comment", idField: "approval_id", textField: "comment" },
    openAnswer,
  );

export const RequestCommentSchema = z
  .object({
    id: z.uuid(),
    request_id: z.uuid(),
    author_id: z.uuid().openapi({ description: "The user id of who wrote it" }),
    author_name: z.string().openapi({ description: "Their name" }),
    body: z.string().nullable().openapi({ description: "The comment; null once the person's data was erased or its year's key destroyed" }),
    created_at: z.iso.datetime({ offset: true }),
  })
  .openapi("RequestComment");
export type RequestComment = z.infer<typeof RequestCommentSchema>;
/** A comment as the database builds it (`app.comment_json`): its body sealed, with the id of the key that opens it. */
export type StoredComment = RequestComment & { data_key_id: string };

/** A comment with its body opened (bound to the comment's id). */
export async function openComment(ring: KeyRing, { data_key_id, ...comment }: StoredComment): Promise<RequestComment> {
  await ring.require([data_key_id]);
  return { ...comment, body: await ring.open(data_key_id, { table: "request_comments", column: "body", row: comment.id }, comment.body) };
}

/** Commenting: the body sealed for the requester; the answer, the new comment, opened. */
export const sealedComment = (config: Config, principal: Principal, requestId: string, body: string) =>
  sealedOnRequest(
    config,
    principal,
    requestId,
    body,
    { table: "request_comments", column: "body", idField: "comment_id", textField: "body" },
    (stored, ring) => openComment(ring, stored as StoredComment),
  );
