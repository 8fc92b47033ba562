import type { Role } from "../kernel/access";

/**
 * The one shape of claims Postgres sees as `request.jwt.claims` (read by `app.claims()` and every RLS
 * policy). Built by the server from the verified identity and the database, never copied from client input.
 */
export interface UserClaims {
  /** "api_key": a service key acting with one role; `sub` is then the key's id. */
  caller: "user" | "api_key";
  /** users.id (or api_keys.id) */
  sub: string;
  tenant_id: string;
  /** employees.id, or null for a user without an employee record */
  employee_id: string | null;
  roles: Role[];
}

/** Work with no end-user caller. Each name is a distinct, auditable caller that may only run granted functions. */
export const SYSTEM_CALLERS = ["health", "tenant-directory", "login", "auth", "scheduler"] as const;
export type SystemCallerName = (typeof SYSTEM_CALLERS)[number];

export interface SystemClaims {
  caller: `system:${SystemCallerName}`;
  sub: null;
  tenant_id: string | null;
  employee_id: null;
  roles: [];
}

export type Claims = UserClaims | SystemClaims;

export type Caller = { kind: "user"; claims: UserClaims } | { kind: "system"; name: SystemCallerName; tenantId?: string };

export function systemCaller(name: SystemCallerName, tenantId?: string): Caller {
  return tenantId === undefined ? { kind: "system", name } : { kind: "system", name, tenantId };
}

export function claimsOf(caller: Caller): Claims {
  if (caller.kind === "user") return caller.claims;
  return { caller: `system:${caller.name}`, sub: null, tenant_id: caller.tenantId ?? null, employee_id: null, roles: [] };
}
