import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { IdempotencyHeaders, writeLedger } from "../../domain/ledger-write";
import type { ErrorCode } from "../../kernel/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import {
  EMMA_EXAMPLE,
  EmployeeListQuery,
  EmployeePage,
  EmployeeParams,
  EmployeeSchema,
  MIKE_EMPLOYEE_ID,
  TerminationBody,
  TerminationReport,
  UpdatedEmployeeSchema,
  UpdateEmployeeBody,
} from "./schemas";
import { getEmployee, listEmployees, updateEmployee } from "./service";

const ERRORS: ErrorCode[] = ["VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS];

const listRoute = createRoute({
  method: "get",
  path: "/v1/employees",
  operationId: "listEmployees",
  tags: ["Employees"],
  summary: "List and search employees",
  description:
    "The people you may see: yourself; your direct reports (managers); the whole tenant (HR Admin, System Admin, Auditor). " +
    "Search with `q` (part of a name, email or employee number), filter by manager, status or policy, sort from the allow-list; " +
    "offset-paginated with the number of matches (`total`), counted in the same snapshot as the page.",
  ...signedIn("self:read"),
  request: { query: EmployeeListQuery },
  responses: {
    200: jsonResponse("A page of employees", EmployeePage, { data: [EMMA_EXAMPLE], total: 1, offset: 0, limit: 50 }),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/v1/employees/{employee_id}",
  operationId: "getEmployee",
  tags: ["Employees"],
  summary: "Get an employee",
  description: "Yourself, one of your direct reports (managers), or anyone in the tenant (HR Admin, System Admin, Auditor); 404 otherwise.",
  ...signedIn("self:read"),
  request: { params: EmployeeParams },
  responses: { 200: jsonResponse("The employee", EmployeeSchema, EMMA_EXAMPLE), ...errorResponses(...ERRORS) },
});

const updateRoute = createRoute({
  method: "patch",
  path: "/v1/employees/{employee_id}",
  operationId: "updateEmployee",
  tags: ["Employees"],
  summary: "Update an employee's record",
  description:
    "Changes only the fields given (name, email, employee number, hire date, manager, time zone, work week, holiday calendar) and answers " +
    "the whole record. A new holiday calendar or work week reprices the person's open requests from their today on (`corrections`). " +
    "A new email ends every session of the person at once. An email or employee number already used in the tenant answers 409, and so " +
    "does a manager who reports, directly or not, to this employee (no management cycles). HR Admin or System Admin, for people whose " +
    "roles they may grant (only a System Admin edits a System Admin: 403). The end date is set by `POST /v1/employees/{employee_id}/termination`. Audited.",
  ...signedIn("user:manage"),
  request: {
    params: EmployeeParams,
    body: jsonBody(UpdateEmployeeBody, { display_name: "Emma Employee-Weber", manager_id: MIKE_EMPLOYEE_ID, work_week: [1, 2, 3, 4] }),
  },
  responses: {
    200: jsonResponse("Updated", UpdatedEmployeeSchema, {
      ...EMMA_EXAMPLE,
      display_name: "Emma Employee-Weber",
      work_week: [1, 2, 3, 4],
      corrections: [],
    }),
    ...errorResponses("CONFLICT", ...ERRORS),
  },
});

const terminationRoute = createRoute({
  method: "post",
  path: "/v1/employees/{employee_id}/termination",
  operationId: "terminateEmployee",
  tags: ["Employees"],
  summary: "End an employment",
  description:
    "Records the last day of employment and, in the same transaction: cancels pending requests with a day after it, reverses approved " +
    "days after it (cancelling requests wholly after it), prorates accruals to it (the period it ends in is cut to the days employed, " +
    "rounded half up to half a day in the policy's unit; later periods are never accrued), and answers the final balances. No request may " +
    "reach past the end date afterwards. The same date again changes nothing; an earlier one applies the difference; a later one is a 409. " +
    "HR Admin or System Admin (or their API keys), for people whose roles they may grant, never for themselves. " +
    "Requires an `Idempotency-Key`; audited as `employee.terminate`. The account stays active until deactivated.",
  ...signedIn("user:manage"),
  request: { headers: IdempotencyHeaders, params: EmployeeParams, body: jsonBody(TerminationBody, { end_date: "2026-12-18" }) },
  responses: {
    200: jsonResponse("Ended", TerminationReport, {
      employee_id: EMMA_EXAMPLE.id,
      end_date: "2026-12-18",
      cancelled_request_ids: ["b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64"],
      reversed_entries: 0,
      accrual_corrections: 1,
      final_balances: [{ policy_key: "pto-standard", unit: "day", posted: 25.5, pending: 0 }],
    }),
    ...errorResponses("INVALID_INPUT", "DUPLICATE_REQUEST", "CONFLICT", ...ERRORS),
  },
});

export const employeeRoutes = createRouter()
  .openapi(listRoute, async (c) =>
    c.json(await listEmployees(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("query")), 200),
  )
  .openapi(getRoute, async (c) => c.json(await getEmployee(c.get("config"), c.get("principal"), c.req.valid("param").employee_id), 200))
  .openapi(updateRoute, async (c) => {
    const { employee_id } = c.req.valid("param");
    return c.json(await updateEmployee(c.get("config"), c.env, requestFacts(c), c.get("principal"), employee_id, c.req.valid("json")), 200);
  })
  .openapi(terminationRoute, (c) =>
    writeLedger(
      c,
      "terminate",
      { employee_id: c.req.valid("param").employee_id, ...c.req.valid("json") },
      { schema: TerminationReport, status: 200 },
    ),
  );
