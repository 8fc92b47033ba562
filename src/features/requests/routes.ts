import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { LeaveRequestSchema, RequestPage, RequestParams } from "../../domain/leave-requests";
import { IdempotencyHeaders, writeLedger } from "../../domain/ledger-write";
import type { ErrorCode } from "../../kernel/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { RequestListQuery, SubmitRequestBody } from "./schemas";
import { getRequest, listRequests } from "./service";

const READ_ERRORS: ErrorCode[] = ["VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS];
const WRITE_ERRORS: ErrorCode[] = ["INVALID_INPUT", "DUPLICATE_REQUEST", "CONFLICT", ...READ_ERRORS];

const submit = createRoute({
  method: "post",
  path: "/v1/requests",
  tags: ["Requests"],
  summary: "Request leave: the days are charged (working days only) and held against the balance at once. Idempotent, audited.",
  ...signedIn("request:submit"),
  request: { headers: IdempotencyHeaders, body: jsonBody(SubmitRequestBody) },
  responses: {
    201: jsonResponse("The pending request, its hold placed", LeaveRequestSchema),
    ...errorResponses("INSUFFICIENT_BALANCE", "NOT_ELIGIBLE", ...WRITE_ERRORS),
  },
});

const cancel = createRoute({
  method: "post",
  path: "/v1/requests/{id}/cancel",
  tags: ["Requests"],
  summary: "Cancel your request: a pending one voids its hold; an approved one not yet started is reversed. Idempotent, audited.",
  ...signedIn("request:submit"),
  request: { headers: IdempotencyHeaders, params: RequestParams },
  responses: { 200: jsonResponse("The cancelled request", LeaveRequestSchema), ...errorResponses(...WRITE_ERRORS) },
});

const list = createRoute({
  method: "get",
  path: "/v1/requests",
  tags: ["Requests"],
  summary: "Requests of an employee (yours by default; your reports' as a manager; anyone's as HR), newest first",
  ...signedIn("self:read"),
  request: { query: RequestListQuery },
  responses: { 200: jsonResponse("A page of requests", RequestPage), ...errorResponses(...READ_ERRORS) },
});

const get = createRoute({
  method: "get",
  path: "/v1/requests/{id}",
  tags: ["Requests"],
  summary: "One request, with its approvals",
  ...signedIn("self:read"),
  request: { params: RequestParams },
  responses: { 200: jsonResponse("The request", LeaveRequestSchema), ...errorResponses(...READ_ERRORS) },
});

export const requestRoutes = createRouter()
  .openapi(submit, (c) => writeLedger(c, "submit", c.req.valid("json"), { schema: LeaveRequestSchema, status: 201 }))
  .openapi(cancel, (c) => writeLedger(c, "cancel", { request_id: c.req.valid("param").id }, { schema: LeaveRequestSchema, status: 200 }))
  .openapi(list, async (c) => c.json(await listRequests(c.get("config"), c.get("principal"), c.req.valid("query")), 200))
  .openapi(get, async (c) => c.json(await getRequest(c.get("config"), c.get("principal"), c.req.valid("param").id), 200));
