import { type SQL, sql } from "drizzle-orm";
import { pgPolicy, pgRole } from "drizzle-orm/pg-core";
import { DB_ROLES } from "../roles";
import type { Role } from "./identity";

/** The pieces every table's row-level security policies are written with. */
export const appRole = pgRole(DB_ROLES.app).existing();
export const definerRole = pgRole(DB_ROLES.definer).existing();

/** Claims helpers live in schema `app` (migrations/0000); `(select …)` makes Postgres read them once per statement. */
export const tenantId = sql`(select app.tenant_id())`;
export const userId = sql`(select app.user_id())`;
export const employeeId = sql`(select app.employee_id())`;
export const hasAnyRole = (...roles: Role[]) => sql.raw(`(select app.has_any_role(array[${roles.map((r) => `'${r}'`).join(",")}]))`);

export const TENANT_READERS: Role[] = ["hr_admin", "system_admin", "auditor"];
export const TENANT_WRITERS: Role[] = ["hr_admin", "system_admin"];

/** Rows about an employee: the employee's own, a manager's direct reports', or any of the tenant's for its readers. */
export const visibleEmployee = (column: unknown): SQL => sql`(${column} = ${employeeId} or ${hasAnyRole(...TENANT_READERS)} or exists (
        select 1 from employees e where e.id = ${column} and e.manager_id = ${employeeId}))`;

/** The caller's tenant's rows about employees the caller may see. */
export const visibleTenantRows = (tenantColumn: unknown, employeeColumn: unknown): SQL => sql`${tenantColumn} = ${tenantId} and ${visibleEmployee(employeeColumn)}`;

/** A table only SECURITY DEFINER functions (owned by the definer role) read and write. */
export const definerOnly = (name: string) => pgPolicy(name, { for: "all", to: definerRole, using: sql`true`, withCheck: sql`true` });
