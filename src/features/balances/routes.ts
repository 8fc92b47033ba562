import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { targetEmployee } from "../../domain/employees";
import { IdempotencyHeaders, writeLedger } from "../../domain/ledger-write";
import type { ErrorCode } from "../../kernel/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import {
  AdjustmentBody,
  AsOfQuery,
  EmployeeBalances,
  EmployeeParams,
  EntryListQuery,
  EntryPage,
  LedgerEntrySchema,
  TeamBalances,
} from "./schemas";
import { employeeBalances, listEntries, teamBalances } from "./service";

const READ_ERRORS: ErrorCode[] = ["VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS];

const mine = createRoute({
  method: "get",
  path: "/v1/me/balances",
  tags: ["Balances"],
  summary: "Your balances, per policy: posted, pending, available",
  ...signedIn("self:read"),
  request: { query: AsOfQuery },
  responses: { 200: jsonResponse("Balances", EmployeeBalances), ...errorResponses(...READ_ERRORS) },
});

const employee = createRoute({
  method: "get",
  path: "/v1/employees/{id}/balances",
  tags: ["Balances"],
  summary: "An employee's balances (yourself, your direct reports, or anyone in the tenant for HR Admin, System Admin and Auditor)",
  ...signedIn("self:read"),
  request: { params: EmployeeParams, query: AsOfQuery },
  responses: { 200: jsonResponse("Balances", EmployeeBalances), ...errorResponses(...READ_ERRORS) },
});

const team = createRoute({
  method: "get",
  path: "/v1/team/balances",
  tags: ["Balances"],
  summary: "Your direct reports' balances",
  ...signedIn("team:read"),
  request: { query: AsOfQuery },
  responses: { 200: jsonResponse("Balances per report", TeamBalances), ...errorResponses(...READ_ERRORS) },
});

const entries = createRoute({
  method: "get",
  path: "/v1/ledger-entries",
  tags: ["Balances"],
  summary: "Ledger entries of an employee (yours by default), cursor-paginated, filterable by policy, kind and effective dates",
  ...signedIn("self:read"),
  request: { query: EntryListQuery },
  responses: { 200: jsonResponse("A page of entries", EntryPage), ...errorResponses(...READ_ERRORS) },
});

const adjust = createRoute({
  method: "post",
  path: "/v1/employees/{id}/ledger-entries",
  tags: ["Balances"],
  summary: "Post a grant or an adjustment (HR Admin, System Admin). Never blocked by limits. Idempotent, audited.",
  ...signedIn("policy:manage"),
  request: { headers: IdempotencyHeaders, params: EmployeeParams, body: jsonBody(AdjustmentBody) },
  responses: {
    201: jsonResponse("The entry", LedgerEntrySchema),
    ...errorResponses("INVALID_INPUT", "DUPLICATE_REQUEST", ...READ_ERRORS),
  },
});

export const balanceRoutes = createRouter()
  .openapi(mine, async (c) => {
    const principal = c.get("principal");
    return c.json(
      await employeeBalances(c.get("config"), principal, targetEmployee(principal), c.req.valid("query").as_of ?? null, c.get("now")),
      200,
    );
  })
  .openapi(employee, async (c) =>
    c.json(
      await employeeBalances(
        c.get("config"),
        c.get("principal"),
        c.req.valid("param").id,
        c.req.valid("query").as_of ?? null,
        c.get("now"),
      ),
      200,
    ),
  )
  .openapi(team, async (c) =>
    c.json({ data: await teamBalances(c.get("config"), c.get("principal"), c.req.valid("query").as_of ?? null, c.get("now")) }, 200),
  )
  .openapi(entries, async (c) => c.json(await listEntries(c.get("config"), c.get("principal"), c.req.valid("query")), 200))
  .openapi(adjust, (c) =>
    writeLedger(c, "adjust", { employee_id: c.req.valid("param").id, ...c.req.valid("json") }, { schema: LedgerEntrySchema, status: 201 }),
  );
