import { createRoute } from "@hono/zod-openapi";
import { signedInApprover } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import {
  DENTIST_REQUEST_EXAMPLE,
  LEAVE_REQUEST_EXAMPLE,
  type LeaveRequest,
  LeaveRequestSchema,
  RequestPage,
  RequestParams,
  sealedDecision,
} from "../../domain/leave-requests";
import { IdempotencyHeaders, writeLedger } from "../../domain/ledger-write";
import type { AppContext } from "../../kernel/context";
import type { ErrorCode } from "../../kernel/errors";
import { CONFIDENTIAL_ERRORS, createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { PageQuery } from "../../kernel/pagination";
import { DecisionBody } from "./schemas";
import { approvalInbox } from "./service";

const DECIDE_ERRORS: ErrorCode[] = [
  "INVALID_INPUT",
  "VALIDATION_FAILED",
  "RESOURCE_NOT_FOUND",
  "DUPLICATE_REQUEST",
  "CONFLICT",
  ...SIGNED_IN_ERRORS,
  ...CONFIDENTIAL_ERRORS,
];

/** Mike Manager, who decides for Emma in the demo tenant. */
const MIKE_USER_ID = "00000000-0000-4000-8100-000000000103";

const inbox = createRoute({
  method: "get",
  path: "/v1/approvals",
  tags: ["Approvals"],
  operationId: "listApprovals",
  summary: "List requests awaiting your decision",
  description:
    "Pending, unexpired requests you may decide, oldest first, cursor-paginated: your direct reports' (managers), those of the " +
    "managers whose approvals you hold by a delegation running now (`POST /v1/delegations`), or anyone's in the tenant (HR Admin, " +
    "System Admin). Never your own, and never one you have already approved (a second approval must come from another person).",
  ...signedInApprover(),
  request: { query: PageQuery },
  responses: {
    200: jsonResponse("A page of pending requests", RequestPage, {
      data: [DENTIST_REQUEST_EXAMPLE, LEAVE_REQUEST_EXAMPLE],
      pagination: { next_cursor: null, has_more: false },
    }),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS, ...CONFIDENTIAL_ERRORS),
  },
});

const DECISIONS = {
  approve: {
    operationId: "approveRequest",
    summary: "Approve a leave request",
    description:
      "Records your approval. Once the policy's number of distinct approvers have approved, the hold is released, a `usage` entry " +
      "is posted for each day and the request becomes `approved`; until then it stays `pending`. Managers decide for their direct " +
      "reports, HR Admins and System Admins for anyone, nobody for themselves; a request that expired, is no longer pending or that " +
      "you already decided is a `CONFLICT`. Requires an `Idempotency-Key`; audited as `request.approve`.",
    comment: "Enjoy the break!",
    status: "approved",
  },
  reject: {
    operationId: "rejectRequest",
    summary: "Reject a leave request",
    description:
      "Rejects the request: its hold is released, its days are freed for other requests and it becomes `rejected`. Managers decide " +
      "for their direct reports, HR Admins and System Admins for anyone, nobody for themselves; a request that expired or is no longer " +
      "pending is a `CONFLICT`. Requires an `Idempotency-Key`; audited as `request.reject`.",
    comment: "The year-end release is that week; could you move it to January?",
    status: "rejected",
  },
} as const;

type Decision = "approve" | "reject";
const decision = (verb: Decision) => {
  const { operationId, summary, description, comment, status } = DECISIONS[verb];
  const decidedAt = "2026-12-02T15:20:31.117+00:00";
  const example: LeaveRequest = {
    ...LEAVE_REQUEST_EXAMPLE,
    status,
    approvals: [
      {
        approver_id: MIKE_USER_ID,
        approver_name: "Mike Manager",
        decision: verb,
        comment,
        decided_at: decidedAt,
        on_behalf_of: null,
        on_behalf_of_name: null,
      },
    ],
    resolved_at: decidedAt,
  };
  return createRoute({
    method: "post",
    path: `/v1/requests/{id}/${verb}`,
    tags: ["Approvals"],
    operationId,
    summary,
    description,
    ...signedInApprover(),
    request: { headers: IdempotencyHeaders, params: RequestParams, body: { ...jsonBody(DecisionBody, { comment }), required: false } },
    responses: {
      200: jsonResponse("The request after the decision", LeaveRequestSchema, example),
      ...errorResponses(...DECIDE_ERRORS),
    },
  });
};

/** Approve or reject: the comment, if any, is sealed before it leaves the Worker. */
const decide = (c: AppContext, verb: Decision, requestId: string, comment: string | undefined) =>
  writeLedger(
    c,
    "decide",
    { request_id: requestId, decision: verb, comment: comment ?? null },
    { schema: LeaveRequestSchema, status: 200 },
    sealedDecision(c.get("config"), c.get("principal"), requestId, comment ?? null),
  );

export const approvalRoutes = createRouter()
  .openapi(inbox, async (c) => c.json(await approvalInbox(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("query")), 200))
  .openapi(decision("approve"), (c) => decide(c, "approve", c.req.valid("param").id, c.req.valid("json")?.comment))
  .openapi(decision("reject"), (c) => decide(c, "reject", c.req.valid("param").id, c.req.valid("json")?.comment));
