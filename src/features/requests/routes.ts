import { createRoute, type z } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import {
  CANCELLATION,
  DENTIST_REQUEST_EXAMPLE,
  LEAVE_REQUEST_EXAMPLE,
  type LeaveRequest,
  LeaveRequestSchema,
  RequestCommentSchema,
  RequestPage,
  RequestParams,
  sealedComment,
  submission,
} from "../../domain/leave-requests";
import { IdempotencyHeaders, writeLedger } from "../../domain/ledger-write";
import type { ErrorCode } from "../../kernel/errors";
import { CONFIDENTIAL_ERRORS, createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { CommentBody, CommentThread, RequestListQuery, SimulationBody, SimulationSchema, SubmitRequestBody } from "./schemas";
import { getRequest, listComments, listRequests, simulateRequest } from "./service";

const READ_ERRORS: ErrorCode[] = ["VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS, ...CONFIDENTIAL_ERRORS];
const WRITE_ERRORS: ErrorCode[] = ["INVALID_INPUT", "DUPLICATE_REQUEST", "CONFLICT", ...READ_ERRORS];

/** Emma's requests in the demo tenant: the one of the examples, approved by Mike, and her seeded dentist visit, pending. */
const APPROVED_EXAMPLE: LeaveRequest = {
  ...LEAVE_REQUEST_EXAMPLE,
  status: "approved",
  approvals: [
    {
      approver_id: "00000000-0000-4000-8100-000000000103",
      approver_name: "Mike Manager",
      decision: "approve",
      comment: "Enjoy the break!",
      decided_at: "2026-12-02T15:20:31.117+00:00",
      on_behalf_of: null,
      on_behalf_of_name: null,
    },
  ],
  resolved_at: "2026-12-02T15:20:31.117+00:00",
};
const submit = createRoute({
  method: "post",
  path: "/v1/requests",
  tags: ["Requests"],
  operationId: "submitRequest",
  summary: "Request leave",
  description:
    "Submits a leave request for yourself (employees, managers, HR Admins and System Admins with an employee record) or, with " +
    "`employee_id`, records one on someone's behalf: HR Admins and System Admins for anyone, a manager for a direct report where the " +
    "policy allows (`managers_may_record`); the request follows that employee's rules and names who submitted it, and the recorder " +
    "cannot also approve it. A policy without approvers (`approvals_required: 0`) records the leave at once (`approved`). " +
    "The working days between the dates are charged (days off and the tenant's holidays are not) and held against the balance at once: " +
    "they count as `pending` until the request is approved, rejected, cancelled or expires after the policy's approval TTL. " +
    "Refused with `INSUFFICIENT_BALANCE` when the available balance does not cover it, `NOT_ELIGIBLE` outside your assignment to the " +
    "policy or within its waiting period, and `CONFLICT` when another open request takes some of the days. " +
    "Requires an `Idempotency-Key`; audited as `request.submit`.",
  ...signedIn("request:submit"),
  request: {
    headers: IdempotencyHeaders,
    body: jsonBody(SubmitRequestBody, {
      policy_key: "pto-standard",
      start_date: "2026-12-21",
      end_date: "2026-12-23",
      reason: "Family visit",
    }),
  },
  responses: {
    201: jsonResponse("The pending request, its hold placed", LeaveRequestSchema, LEAVE_REQUEST_EXAMPLE),
    ...errorResponses("INSUFFICIENT_BALANCE", "NOT_ELIGIBLE", ...WRITE_ERRORS),
  },
});

/**
 * Emma, on 2 December 2026 with 6 days, asks what 4 days in March would do: 1 day over the carry-over cap of 5
 * expires at the year's end, January to March accrue 2.0833 each, and she would have 7.2499 left in March.
 */
const SIMULATION_EXAMPLE: z.output<typeof SimulationSchema> = {
  employee_id: "00000000-0000-4000-8100-000000000204",
  employee_name: "Emma Employee",
  policy_key: "pto-standard",
  unit: "day",
  tracking: "tracked",
  days: 4,
  amount: 4,
  outcome: "pending",
  refusal: null,
  available_now: 8,
  today: "2026-12-02",
  until: "2027-03-31",
  path: [
    { date: "2026-12-02", kind: "opening", amount: 6, balance: 6, projected: false },
    { date: "2026-12-31", kind: "expiry", amount: -1, balance: 5, projected: true },
    { date: "2026-12-31", kind: "carryover_out", amount: -5, balance: 0, projected: true },
    { date: "2027-01-01", kind: "carryover_in", amount: 5, balance: 5, projected: true },
    { date: "2027-01-01", kind: "accrual", amount: 2.0833, balance: 7.0833, projected: true },
    { date: "2027-02-01", kind: "accrual", amount: 2.0833, balance: 9.1666, projected: true },
    { date: "2027-03-01", kind: "accrual", amount: 2.0833, balance: 11.2499, projected: true },
    { date: "2027-03-08", kind: "request", amount: -1, balance: 10.2499, projected: true },
    { date: "2027-03-09", kind: "request", amount: -1, balance: 9.2499, projected: true },
    { date: "2027-03-10", kind: "request", amount: -1, balance: 8.2499, projected: true },
    { date: "2027-03-11", kind: "request", amount: -1, balance: 7.2499, projected: true },
  ],
  closing_balance: 7.2499,
  lowest: { date: "2026-12-31", balance: 0 },
  below_allowance: false,
};

const simulate = createRoute({
  method: "post",
  path: "/v1/requests/simulations",
  tags: ["Requests"],
  operationId: "simulateRequest",
  summary: "Simulate a request (what-if)",
  description:
    "Answers, without writing anything, what a request would cost and do if submitted now (`outcome`: `pending`, `approved` at once, or " +
    "`refused` with `INSUFFICIENT_BALANCE` or `CONFLICT`), and the balance's path from the employee's today to `until` with it: accruals " +
    "due, entries already dated in the future, other pending requests and this one as if approved, the year-end rollover (assuming it " +
    "runs) and carried-over days expiring. The same people may simulate as may submit (`employee_id` on someone's behalf), and the same " +
    "refusals apply to what cannot be requested at all (`NOT_ELIGIBLE`, no working day, no policy in force). No `Idempotency-Key`: " +
    "nothing is written.",
  ...signedIn("request:submit"),
  request: {
    body: jsonBody(SimulationBody, { policy_key: "pto-standard", start_date: "2027-03-08", end_date: "2027-03-11", until: "2027-03-31" }),
  },
  responses: {
    200: jsonResponse("What the request would do, and the balance's path", SimulationSchema, SIMULATION_EXAMPLE),
    ...errorResponses("NOT_ELIGIBLE", ...READ_ERRORS),
  },
});

const cancel = createRoute({
  method: "post",
  path: "/v1/requests/{id}/cancel",
  tags: ["Requests"],
  operationId: "cancelRequest",
  summary: "Cancel your request",
  description:
    "Cancels one of your own requests. A pending request's hold is released and its days are freed; an approved request whose leave " +
    "has not started yet (in your time zone) is reversed, each `usage` entry by a `reversal` entry, never blocked by balance limits. " +
    "A request that has started or is no longer open is a `CONFLICT` (ask HR for an adjustment). " +
    "Requires an `Idempotency-Key`; audited as `request.cancel`.",
  ...signedIn("request:submit"),
  request: { headers: IdempotencyHeaders, params: RequestParams },
  responses: {
    200: jsonResponse("The cancelled request", LeaveRequestSchema, {
      ...APPROVED_EXAMPLE,
      status: "cancelled",
      resolved_at: "2026-12-09T07:58:20.644+00:00",
    }),
    ...errorResponses(...WRITE_ERRORS),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/requests",
  tags: ["Requests"],
  operationId: "listRequests",
  summary: "List leave requests",
  description:
    "Requests of one employee, newest submission first, cursor-paginated and filterable by status. " +
    "Yours by default; with `employee_id`, your direct reports' (managers) or anyone's in the tenant (HR Admin, System Admin, Auditor). " +
    "An employee you may not see is `RESOURCE_NOT_FOUND`.",
  ...signedIn("self:read"),
  request: { query: RequestListQuery },
  responses: {
    200: jsonResponse("A page of requests", RequestPage, {
      data: [APPROVED_EXAMPLE, DENTIST_REQUEST_EXAMPLE],
      pagination: { next_cursor: null, has_more: false },
    }),
    ...errorResponses(...READ_ERRORS),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/requests/{id}",
  tags: ["Requests"],
  operationId: "getRequest",
  summary: "Get a leave request",
  description:
    "One request with its approvals so far. Visible to the employee, their manager, and HR Admins, System Admins and Auditors; " +
    "to anyone else it is `RESOURCE_NOT_FOUND`.",
  ...signedIn("self:read"),
  request: { params: RequestParams },
  responses: { 200: jsonResponse("The request", LeaveRequestSchema, APPROVED_EXAMPLE), ...errorResponses(...READ_ERRORS) },
});

const COMMENT_EXAMPLE = {
  id: "e1c7a9d2-3b58-4f06-9a1e-5d2c8b7f4a30",
  request_id: LEAVE_REQUEST_EXAMPLE.id,
  author_id: "00000000-0000-4000-8100-000000000103",
  author_name: "Mike Manager",
  body: "Could you hand the release checklist to Eli before you go?",
  created_at: "2026-12-02T09:12:44.210+00:00",
};

const addComment = createRoute({
  method: "post",
  path: "/v1/requests/{id}/comments",
  tags: ["Requests"],
  operationId: "commentOnRequest",
  summary: "Comment on a leave request",
  description:
    "Adds a comment to the request's thread: the employee, their manager, HR Admins and System Admins write; whoever may read the request " +
    "reads (an Auditor too). Confidential like reasons: sealed with the requester's key before it leaves the Worker. At most 200 comments a " +
    "request (then `CONFLICT`). Requires an `Idempotency-Key`; audited as `request.comment`.",
  ...signedIn("self:read"),
  request: { headers: IdempotencyHeaders, params: RequestParams, body: jsonBody(CommentBody, { body: COMMENT_EXAMPLE.body }) },
  responses: { 201: jsonResponse("The comment", RequestCommentSchema, COMMENT_EXAMPLE), ...errorResponses(...WRITE_ERRORS) },
});

const listCommentsRoute = createRoute({
  method: "get",
  path: "/v1/requests/{id}/comments",
  tags: ["Requests"],
  operationId: "listRequestComments",
  summary: "Read a leave request's comments",
  description:
    "The request's thread, oldest first, for whoever may read the request; another person's comments shown are access-logged " +
    "(`confidential.read`). A request you may not see is `RESOURCE_NOT_FOUND`.",
  ...signedIn("self:read"),
  request: { params: RequestParams },
  responses: {
    200: jsonResponse("The thread", CommentThread, { data: [COMMENT_EXAMPLE] }),
    ...errorResponses(...READ_ERRORS),
  },
});

export const requestRoutes = createRouter()
  .openapi(simulate, async (c) =>
    c.json(await simulateRequest(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("json")), 200),
  )
  .openapi(submit, (c) => {
    const input = c.req.valid("json");
    return writeLedger(c, "submit", input, { schema: LeaveRequestSchema, status: 201 }, submission(c.get("principal"), input));
  })
  .openapi(cancel, (c) =>
    writeLedger(c, "cancel", { request_id: c.req.valid("param").id }, { schema: LeaveRequestSchema, status: 200 }, CANCELLATION),
  )
  .openapi(list, async (c) => c.json(await listRequests(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("query")), 200))
  .openapi(addComment, (c) => {
    const { id } = c.req.valid("param");
    const { body } = c.req.valid("json");
    return writeLedger(
      c,
      "comment",
      { request_id: id, body },
      { schema: RequestCommentSchema, status: 201 },
      sealedComment(c.get("config"), c.get("principal"), id, body),
    );
  })
  .openapi(listCommentsRoute, async (c) =>
    c.json({ data: await listComments(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("param").id) }, 200),
  )
  .openapi(get, async (c) => c.json(await getRequest(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("param").id), 200));
