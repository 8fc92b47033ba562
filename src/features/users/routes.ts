import { createRoute, z } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { hashPassword, hashPin } from "../../auth/secrets";
import { requestFacts } from "../../domain/audit";
import { NewPassword, setCredentials } from "../../domain/credentials";
import { ROLES } from "../../kernel/access";
import type { ErrorCode } from "../../kernel/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { TimeZone, WorkWeek } from "./schemas";
import { changeRole, createUser, deactivate, updateEmployee } from "./service";

const UserParams = z.object({ user_id: z.uuid().openapi({ param: { name: "user_id", in: "path" } }) });
const RoleParams = UserParams.extend({ role: z.enum(ROLES).openapi({ param: { name: "role", in: "path" } }) });
const RoleBody = z.object({ role: z.enum(ROLES) }).openapi("RoleAssignment");
const RoleChange = z.object({ user_id: z.uuid(), role: z.enum(ROLES), changed: z.boolean() }).openapi("RoleChange");
const ERRORS: ErrorCode[] = ["VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS];

const assignRole = createRoute({
  method: "post",
  path: "/v1/users/{user_id}/roles",
  tags: ["Users"],
  summary: "Grant a role (HR Admin, System Admin; only a System Admin grants System Admin)",
  description: "Takes effect on the user's very next request. Audited.",
  ...signedIn("role:assign"),
  request: { params: UserParams, body: jsonBody(RoleBody) },
  responses: { 200: jsonResponse("The role is held", RoleChange), ...errorResponses(...ERRORS) },
});

const removeRole = createRoute({
  method: "delete",
  path: "/v1/users/{user_id}/roles/{role}",
  tags: ["Users"],
  summary: "Remove a role",
  description: "Takes effect on the user's very next request. Audited.",
  ...signedIn("role:assign"),
  request: { params: RoleParams },
  responses: { 200: jsonResponse("The role is not held", RoleChange), ...errorResponses(...ERRORS) },
});

const deactivateUser = createRoute({
  method: "post",
  path: "/v1/users/{user_id}/deactivate",
  tags: ["Users"],
  summary: "Deactivate a user: every session ends at once",
  ...signedIn("user:manage"),
  request: { params: UserParams },
  responses: { 204: { description: "Deactivated" }, ...errorResponses("CONFLICT", ...ERRORS) },
});

const CreateUserBody = z
  .object({
    email: z.email().max(254),
    display_name: z.string().min(1).max(200),
    employee: z.object({
      employee_number: z.string().min(1).max(64),
      manager_id: z.uuid().nullable().default(null),
      time_zone: TimeZone,
      hire_date: z.iso.date(),
    }),
    roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length).default(["employee"]),
  })
  .openapi("CreateUser");
const CreatedUser = z.object({ user_id: z.uuid(), employee_id: z.uuid() }).openapi("CreatedUser");
const EmployeeParams = z.object({ employee_id: z.uuid().openapi({ param: { name: "employee_id", in: "path" } }) });
const UpdateEmployeeBody = z
  .object({ manager_id: z.uuid().nullable().optional(), time_zone: TimeZone.optional(), work_week: WorkWeek.optional() })
  .refine((b) => b.manager_id !== undefined || b.time_zone !== undefined || b.work_week !== undefined, {
    error: "change manager_id, time_zone or work_week",
  })
  .openapi("UpdateEmployee");
const EmployeeSchema = z
  .object({
    id: z.uuid(),
    user_id: z.uuid(),
    employee_number: z.string(),
    manager_id: z.uuid().nullable(),
    time_zone: z.string(),
    hire_date: z.string(),
    work_week: z.array(z.number().int()),
  })
  .openapi("Employee");
const PasswordBody = z.object({ password: NewPassword }).openapi("SetPassword");
const PinBody = z.object({ pin: z.string().regex(/^\d{4,8}$/, "4 to 8 digits") }).openapi("SetPin");

const createUserRoute = createRoute({
  method: "post",
  path: "/v1/users",
  tags: ["Users"],
  summary: "Create a user with their employee record and roles (HR Admin, System Admin). Audited.",
  ...signedIn("user:manage"),
  request: { body: jsonBody(CreateUserBody) },
  responses: { 201: jsonResponse("Created", CreatedUser), ...errorResponses("CONFLICT", ...ERRORS) },
});

const updateEmployeeRoute = createRoute({
  method: "patch",
  path: "/v1/employees/{employee_id}",
  tags: ["Users"],
  summary: "Set an employee's manager or time zone (HR Admin, System Admin). Audited.",
  ...signedIn("user:manage"),
  request: { params: EmployeeParams, body: jsonBody(UpdateEmployeeBody) },
  responses: { 200: jsonResponse("Updated", EmployeeSchema), ...errorResponses("CONFLICT", ...ERRORS) },
});

const resetPasswordRoute = createRoute({
  method: "post",
  path: "/v1/users/{user_id}/password",
  tags: ["Users"],
  summary: "Set a user's password (HR Admin, System Admin); every session of the user ends. Audited.",
  ...signedIn("user:manage"),
  request: { params: UserParams, body: jsonBody(PasswordBody) },
  responses: { 204: { description: "Set" }, ...errorResponses(...ERRORS) },
});

const resetPinRoute = createRoute({
  method: "post",
  path: "/v1/users/{user_id}/pin",
  tags: ["Users"],
  summary: "Set a user's kiosk PIN (HR Admin, System Admin); every session of the user ends. Audited.",
  ...signedIn("user:manage"),
  request: { params: UserParams, body: jsonBody(PinBody) },
  responses: { 204: { description: "Set" }, ...errorResponses(...ERRORS) },
});

export const userRoutes = createRouter()
  .openapi(createUserRoute, async (c) => {
    const input = c.req.valid("json");
    const created = await createUser(c.get("config"), requestFacts(c), c.get("principal"), {
      email: input.email,
      displayName: input.display_name,
      employeeNumber: input.employee.employee_number,
      managerId: input.employee.manager_id,
      timeZone: input.employee.time_zone,
      hireDate: input.employee.hire_date,
      roles: input.roles,
    });
    return c.json({ user_id: created.userId, employee_id: created.employeeId }, 201);
  })
  .openapi(updateEmployeeRoute, async (c) => {
    const change = c.req.valid("json");
    const e = await updateEmployee(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("param").employee_id, {
      managerId: change.manager_id,
      timeZone: change.time_zone,
      workWeek: change.work_week,
    });
    return c.json(
      {
        id: e.id,
        user_id: e.userId,
        employee_number: e.employeeNumber,
        manager_id: e.managerId,
        time_zone: e.timeZone,
        hire_date: e.hireDate,
        work_week: e.workWeek,
      },
      200,
    );
  })
  .openapi(resetPasswordRoute, async (c) => {
    const passwordHash = await hashPassword(c.req.valid("json").password);
    await setCredentials(
      c.get("config"),
      c.env,
      requestFacts(c),
      c.get("principal"),
      c.req.valid("param").user_id,
      { passwordHash },
      "user.password_reset",
    );
    return c.body(null, 204);
  })
  .openapi(resetPinRoute, async (c) => {
    const pinHash = await hashPin(c.req.valid("json").pin, c.get("config").PIN_PEPPER);
    await setCredentials(
      c.get("config"),
      c.env,
      requestFacts(c),
      c.get("principal"),
      c.req.valid("param").user_id,
      { pinHash },
      "user.pin_reset",
    );
    return c.body(null, 204);
  })
  .openapi(assignRole, async (c) => {
    const { user_id } = c.req.valid("param");
    const { role } = c.req.valid("json");
    const { changed } = await changeRole(c.get("config"), c.env, requestFacts(c), c.get("principal"), user_id, role, "assign");
    return c.json({ user_id, role, changed }, 200);
  })
  .openapi(removeRole, async (c) => {
    const { user_id, role } = c.req.valid("param");
    const { changed } = await changeRole(c.get("config"), c.env, requestFacts(c), c.get("principal"), user_id, role, "remove");
    return c.json({ user_id, role, changed }, 200);
  })
  .openapi(deactivateUser, async (c) => {
    await deactivate(c.get("config"), c.env, requestFacts(c), c.get("principal"), c.req.valid("param").user_id);
    return c.body(null, 204);
  });
