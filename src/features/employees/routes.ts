import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import type { ErrorCode } from "../../kernel/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import {
  EMMA_EXAMPLE,
  EmployeeListQuery,
  EmployeePage,
  EmployeeParams,
  EmployeeSchema,
  MIKE_EMPLOYEE_ID,
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
  summary: "Update an employee's manager, time zone or work week",
  description:
    "Changes only the fields given and answers the whole employee record. " +
    "A manager who reports, directly or not, to this employee answers 409 (no management cycles). HR Admin or System Admin. Audited.",
  ...signedIn("user:manage"),
  request: {
    params: EmployeeParams,
    body: jsonBody(UpdateEmployeeBody, { manager_id: MIKE_EMPLOYEE_ID, time_zone: "Europe/Berlin", work_week: [1, 2, 3, 4] }),
  },
  responses: {
    200: jsonResponse("Updated", EmployeeSchema, { ...EMMA_EXAMPLE, work_week: [1, 2, 3, 4] }),
    ...errorResponses("CONFLICT", ...ERRORS),
  },
});

export const employeeRoutes = createRouter()
  .openapi(listRoute, async (c) =>
    c.json(await listEmployees(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("query")), 200),
  )
  .openapi(getRoute, async (c) => c.json(await getEmployee(c.get("config"), c.get("principal"), c.req.valid("param").employee_id), 200))
  .openapi(updateRoute, async (c) => {
    const change = c.req.valid("json");
    const employee = await updateEmployee(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("param").employee_id, {
      managerId: change.manager_id,
      timeZone: change.time_zone,
      workWeek: change.work_week,
    });
    return c.json(employee, 200);
  });
