import type { MiddlewareHandler } from "hono";
import { PERMISSION_NAMES, PERMISSIONS, type Permission, type Role } from "../kernel/access";
import type { AppEnv, Principal } from "../kernel/context";
import { AppError } from "../kernel/errors";

export { PERMISSION_NAMES, PERMISSIONS, type Permission };

export function can(principal: Pick<Principal, "roles"> & Partial<Pick<Principal, "scopes">>, permission: Permission): boolean {
  const allowed: readonly Role[] = PERMISSIONS[permission];
  const scoped = !principal.scopes?.length || principal.scopes.includes(permission);
  return scoped && principal.roles.some((role) => allowed.includes(role));
}

export function permissionsOf(principal: Pick<Principal, "roles"> & Partial<Pick<Principal, "scopes">>): Permission[] {
  return PERMISSION_NAMES.filter((permission) => can(principal, permission));
}

/** After `authenticate`: 403 FORBIDDEN unless one of the caller's roles grants `permission`. */
export const requirePermission =
  (permission: Permission): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    if (!can(c.get("principal"), permission)) throw new AppError("FORBIDDEN", "Your roles do not allow this", { permission });
    await next();
  };

/**
 * After `authenticate`: what deciding requests needs — `request:approve:reports`, or a delegation running now
 * (`actingFor`: a colleague deciding in a manager's place). Whose requests each may decide is the database's check.
 */
export const requireApprover = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const principal = c.get("principal");
  if (!can(principal, "request:approve:reports") && !principal.actingFor?.length)
    throw new AppError("FORBIDDEN", "Your roles do not allow this, and you hold no delegation running now", {
      permission: "request:approve:reports",
    });
  await next();
};
