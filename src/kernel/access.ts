/**
 * The roles a person can hold and what each role may do: the one permission vocabulary. The Worker checks it
 * with `can` (src/auth/permissions.ts); Postgres with `app.can('<permission>')`, generated from this table into
 * migrations/functions/12_permissions.sql (`npm run db:functions`; a test fails when the two differ).
 * Resource-level scoping (own, direct reports, tenant) is enforced by the routes and, last, by row-level
 * security.
 */
export const ROLES = ["employee", "manager", "hr_admin", "system_admin", "auditor"] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = {
  "self:read": ["employee", "manager", "hr_admin", "system_admin", "auditor"],
  "self:manage": ["employee", "manager", "hr_admin", "system_admin", "auditor"],
  "team:read": ["manager", "hr_admin", "system_admin", "auditor"],
  "tenant:read": ["hr_admin", "system_admin", "auditor"],
  "request:submit": ["employee", "manager", "hr_admin", "system_admin"],
  "request:approve:reports": ["manager", "hr_admin", "system_admin"],
  "request:approve:any": ["hr_admin", "system_admin"],
  "request:record:any": ["hr_admin", "system_admin"],
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
  "employee:export": ["hr_admin", "system_admin"],
  "tenant:export": ["system_admin"],
  "employee:erase": ["system_admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as [Permission, ...Permission[]];

/**
 * A kiosk (PIN) session may only read its employee's own balances and requests and submit or cancel their own
 * requests, whatever the user's roles: these scopes narrow it, in the Worker and in Postgres (`app.can`).
 */
export const KIOSK_SCOPES = ["self:read", "request:submit"] as const satisfies readonly Permission[];
