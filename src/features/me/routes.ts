import { createRoute, z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import { hashPassword, verifyPassword } from "../../auth/secrets";
import { systemCaller } from "../../db/claims";
import { requestFacts } from "../audit/record";
import { NewPassword } from "../users/schemas";
import { setCredentials } from "../users/service";
import { PERMISSIONS, type Permission, permissionsOf } from "../../auth/permissions";
import { userCaller } from "../../auth/principal";
import { signedIn } from "../../auth/guard";
import { runInDatabase } from "../../db/door";
import { employees, users } from "../../db/schema";
import { ROLES } from "../../kernel/access";
import { AppError } from "../../edge/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../edge/openapi";

const MeSchema = z
  .object({
    user: z.object({ id: z.uuid(), email: z.string(), display_name: z.string() }),
    tenant_id: z.uuid(),
    roles: z.array(z.enum(ROLES)),
    employee: z
      .object({ id: z.uuid(), employee_number: z.string(), manager_id: z.uuid().nullable(), time_zone: z.string(), hire_date: z.string() })
      .nullable(),
  })
  .openapi("Me");

const me = createRoute({
  method: "get",
  path: "/v1/me",
  tags: ["Identity"],
  summary: "The caller: user, tenant, roles and employee record",
  ...signedIn(),
  responses: {
    200: jsonResponse("The caller", MeSchema),
    ...errorResponses(...SIGNED_IN_ERRORS),
  },
});

const PermissionsSchema = z
  .object({ roles: z.array(z.enum(ROLES)), permissions: z.array(z.enum(Object.keys(PERMISSIONS) as [Permission, ...Permission[]])) })
  .openapi("MyPermissions");

const myPermissions = createRoute({
  method: "get",
  path: "/v1/me/permissions",
  tags: ["Identity"],
  summary: "What the caller's roles allow (from the permission cache, no database read)",
  ...signedIn(),
  responses: {
    200: jsonResponse("Roles and permissions", PermissionsSchema),
    ...errorResponses(...SIGNED_IN_ERRORS),
  },
});

const ChangePasswordBody = z.object({ current_password: z.string().min(1).max(1024), new_password: NewPassword }).openapi("ChangePassword");

const changePassword = createRoute({
  method: "post",
  path: "/v1/me/password",
  tags: ["Identity"],
  summary: "Change your password; every session ends (log in again). Audited.",
  ...signedIn(),
  request: { body: jsonBody(ChangePasswordBody) },
  responses: { 204: { description: "Changed" }, ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS) },
});

export const meRoutes = createRouter()
  .openapi(changePassword, async (c) => {
    const principal = c.get("principal");
    if (principal.kind !== "user") throw new AppError("FORBIDDEN", "An API key is not a user");
    const { current_password, new_password } = c.req.valid("json");
    const [current] = await runInDatabase(c.get("config"), systemCaller("login", principal.tenantId), (db) => [
      db.execute<{ secret_hash: string | null }>(sql`select secret_hash from app.password_hash_of(${principal.userId})`),
    ], { readOnly: true });
    if (!(await verifyPassword(current_password, current.rows[0]?.secret_hash ?? null))) throw new AppError("UNAUTHORIZED", "The current password is wrong");
    const passwordHash = await hashPassword(new_password);
    await setCredentials(c.get("config"), c.env, requestFacts(c), principal, principal.userId, { passwordHash }, "user.password_change");
    return c.body(null, 204);
  })
  .openapi(myPermissions, (c) => {
    const principal = c.get("principal");
    return c.json({ roles: principal.roles, permissions: permissionsOf(principal) }, 200);
  })
  .openapi(me, async (c) => {
  const principal = c.get("principal");
  if (principal.kind !== "user") throw new AppError("FORBIDDEN", "An API key is not a user");
  const [userRows, employeeRows] = await runInDatabase(
    c.get("config"),
    userCaller(principal),
    (db) => [
      db.select({ id: users.id, email: users.email, displayName: users.displayName }).from(users).where(eq(users.id, principal.userId)),
      db.select().from(employees).where(eq(employees.userId, principal.userId)),
    ],
    { readOnly: true },
  );
  const user = userRows[0];
  if (!user) throw new AppError("UNAUTHORIZED", "Invalid or expired token", { reason: "user not found" });
  const employee = employeeRows[0];
  return c.json(
    {
      user: { id: user.id, email: user.email, display_name: user.displayName },
      tenant_id: principal.tenantId,
      roles: principal.roles,
      employee: employee
        ? { id: employee.id, employee_number: employee.employeeNumber, manager_id: employee.managerId, time_zone: employee.timeZone, hire_date: employee.hireDate }
        : null,
    },
    200,
  );
});
