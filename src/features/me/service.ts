import type { z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import { permissionsOf } from "../../auth/permissions";
import { userCaller } from "../../auth/principal";
import { hashPassword, verifyPassword } from "../../auth/secrets";
import { systemCaller } from "../../db/claims";
import { runInDatabase } from "../../db/door";
import { employees, users } from "../../db/schema";
import type { RequestFacts } from "../../domain/audit";
import { setCredentials } from "../../domain/credentials";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import type { Env } from "../../kernel/env";
import { AppError } from "../../kernel/errors";
import type { MeSchema, PermissionsSchema } from "./schemas";

export async function describeMe(config: Config, principal: Principal): Promise<z.infer<typeof MeSchema>> {
  if (principal.kind !== "user") throw new AppError("FORBIDDEN", "An API key is not a user");
  const [userRows, employeeRows] = await runInDatabase(
    config,
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
  return {
    user: { id: user.id, email: user.email, display_name: user.displayName },
    tenant_id: principal.tenantId,
    roles: principal.roles,
    employee: employee
      ? {
          id: employee.id,
          employee_number: employee.employeeNumber,
          manager_id: employee.managerId,
          time_zone: employee.timeZone,
          hire_date: employee.hireDate,
        }
      : null,
  };
}

/** From the permission cache: no database read. */
export function myPermissions(principal: Principal): z.infer<typeof PermissionsSchema> {
  return { roles: principal.roles, permissions: permissionsOf(principal) };
}

export async function changePassword(
  config: Config,
  env: Env,
  facts: RequestFacts,
  principal: Principal,
  currentPassword: string,
  newPassword: string,
): Promise<void> {
  if (principal.kind !== "user") throw new AppError("FORBIDDEN", "An API key is not a user");
  const [current] = await runInDatabase(
    config,
    systemCaller("login", principal.tenantId),
    (db) => [db.execute<{ secret_hash: string | null }>(sql`select secret_hash from app.password_hash_of(${principal.userId})`)],
    { readOnly: true },
  );
  if (!(await verifyPassword(currentPassword, current.rows[0]?.secret_hash ?? null)))
    throw new AppError("UNAUTHORIZED", "The current password is wrong");
  const passwordHash = await hashPassword(newPassword);
  await setCredentials(config, env, facts, principal, principal.userId, { passwordHash }, "user.password_change");
}
