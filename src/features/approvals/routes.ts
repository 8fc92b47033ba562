import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import type { ErrorCode } from "../../edge/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../edge/openapi";
import { PageQuery } from "../../edge/pagination";
import { IdempotencyHeaders, writeLedger } from "../../ledger/write";
import { DecisionBody, LeaveRequestSchema, RequestPage, RequestParams } from "../requests/schemas";
import { approvalInbox } from "../requests/service";

const DECIDE_ERRORS: ErrorCode[] = ["INVALID_INPUT", "VALIDATION_FAILED", "RESOURCE_NOT_FOUND", "DUPLICATE_REQUEST", "CONFLICT", ...SIGNED_IN_ERRORS];

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

export const approvalRoutes = createRouter()
  .openapi(inbox, async (c) => c.json((await approvalInbox(c.get("config"), c.get("principal"), c.get("now"), c.req.valid("query"))) as never, 200))
  .openapi(decision("approve"), (c) =>
    writeLedger(c, "decide", { request_id: c.req.valid("param").id, decision: "approve", comment: c.req.valid("json")?.comment ?? null }) as never)
  .openapi(decision("reject"), (c) =>
    writeLedger(c, "decide", { request_id: c.req.valid("param").id, decision: "reject", comment: c.req.valid("json")?.comment ?? null }) as never);
