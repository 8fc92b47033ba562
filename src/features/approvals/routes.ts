import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { LeaveRequestSchema, RequestPage, RequestParams } from "../../domain/leave-requests";
import { IdempotencyHeaders, writeLedger } from "../../domain/ledger-write";
import type { ErrorCode } from "../../kernel/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
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
];

const inbox = createRoute({
  method: "get",
  path: "/v1/approvals",
  tags: ["Approvals"],
  summary: "What waits for your decision, oldest first: your direct reports' pending requests (anyone's for HR Admin and System Admin)",
  ...signedIn("request:approve:reports"),
  request: { query: PageQuery },
  responses: { 200: jsonResponse("A page of pending requests", RequestPage), ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS) },
});

const decision = (verb: "approve" | "reject") =>
  createRoute({
    method: "post",
    path: `/v1/requests/{id}/${verb}`,
    tags: ["Approvals"],
    summary:
      verb === "approve"
        ? "Approve: once the policy's number of distinct approvers have approved, the hold becomes usage. Idempotent, audited."
        : "Reject: the hold is voided and the days freed. Idempotent, audited.",
    ...signedIn("request:approve:reports"),
    request: { headers: IdempotencyHeaders, params: RequestParams, body: { ...jsonBody(DecisionBody), required: false } },
    responses: { 200: jsonResponse("The request after the decision", LeaveRequestSchema), ...errorResponses(...DECIDE_ERRORS) },
  });

const decided = { schema: LeaveRequestSchema, status: 200 } as const;

export const approvalRoutes = createRouter()
  .openapi(inbox, async (c) => c.json(await approvalInbox(c.get("config"), c.get("principal"), c.get("now"), c.req.valid("query")), 200))
  .openapi(decision("approve"), (c) =>
    writeLedger(
      c,
      "decide",
      { request_id: c.req.valid("param").id, decision: "approve", comment: c.req.valid("json")?.comment ?? null },
      decided,
    ),
  )
  .openapi(decision("reject"), (c) =>
    writeLedger(
      c,
      "decide",
      { request_id: c.req.valid("param").id, decision: "reject", comment: c.req.valid("json")?.comment ?? null },
      decided,
    ),
  );
