import type { MiddlewareHandler } from "hono";
import type { Role } from "../db/schema";
import type { AppEnv } from "../edge/context";
import { AppError } from "../edge/errors";
import type { Principal } from "./principal";

/**
 * The roles matrix (DESIGN.md), as one table: what each role may do. Resource-level scoping (own, direct
 * reports, tenant) is then enforced by the route and, last, by row-level security in Postgres.
 */
export const PERMISSIONS = {
  "self:read": ["employee", "manager", "hr_admin", "system_admin", "auditor"],
  "team:read": ["manager", "hr_admin", "system_admin", "auditor"],
  "tenant:read": ["hr_admin", "system_admin", "auditor"],
  "request:submit": ["employee", "manager", "hr_admin", "system_admin"],
  "request:approve:reports": ["manager", "hr_admin", "system_admin"],
  "request:approve:any": ["hr_admin", "system_admin"],
  "policy:manage": ["hr_admin", "system_admin"],
  "accrual:run": ["hr_admin", "system_admin"],
  "rollover:run": ["system_admin"],
  "reconciliation:run": ["system_admin"],
  "audit:read": ["hr_admin", "system_admin", "auditor"],
  "user:manage": ["hr_admin", "system_admin"],
  "role:assign": ["hr_admin", "system_admin"],
  "role:assign:system_admin": ["system_admin"],
  "apikey:manage": ["system_admin"],
  "account:unlock": ["system_admin"],
  "config:manage": ["system_admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(principal: Pick<Principal, "roles"> & Partial<Pick<Principal, "scopes">>, permission: Permission): boolean {
  const allowed: readonly Role[] = PERMISSIONS[permission];
  const scoped = !principal.scopes?.length || principal.scopes.includes(permission);
  return scoped && principal.roles.some((role) => allowed.includes(role));
}

export function permissionsOf(principal: Pick<Principal, "roles"> & Partial<Pick<Principal, "scopes">>): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((permission) => can(principal, permission));
}

/** After `authenticate`: 403 FORBIDDEN unless one of the caller's roles grants `permission`. */
export const requirePermission = (permission: Permission): MiddlewareHandler<AppEnv> => async (c, next) => {
  if (!can(c.get("principal"), permission)) throw new AppError("FORBIDDEN", "Your roles do not allow this", { permission });
  await next();
};
