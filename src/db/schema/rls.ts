import { type SQL, sql } from "drizzle-orm";
import { pgPolicy, pgRole } from "drizzle-orm/pg-core";
import type { Permission } from "../../kernel/access";
import { DB_ROLES } from "../roles";

/** The pieces every table's row-level security policies are written with. */
export const appRole = pgRole(DB_ROLES.app).existing();
export const definerRole = pgRole(DB_ROLES.definer).existing();

/** Claims helpers live in schema `app` (migrations/functions/10_claims.sql); `(select …)` makes Postgres read them once per statement. */
export const tenantId = sql`(select app.tenant_id())`;
export const userId = sql`(select app.user_id())`;
export const employeeId = sql`(select app.employee_id())`;
/** Whether the caller's roles allow `permission` (src/kernel/access.ts): policies never name roles. */
export const can = (permission: Permission) => sql.raw(`(select app.can('${permission}'))`);

/** Whether the caller may manage the user in `column` (themself, or one holding only roles the caller may grant). */
export const mayManage = (column: unknown): SQL => sql`(select app.may_manage(${column}))`;

/**
 * The managers whose direct reports the caller sees as their manager: themself, and those whose approvals they
 * hold by a running delegation (`acting_for` in the signed claims).
 */
export const managedBy = sql`(select app.manager_ids())::uuid[]`;

/** Rows about an employee: the employee's own, a manager's direct reports', or any of the tenant's for its readers. */
export const visibleEmployee = (column: unknown): SQL => sql`(${column} = ${employeeId} or ${can("tenant:read")} or exists (
        select 1 from employees e where e.id = ${column} and e.manager_id = any(${managedBy})))`;

/** The caller's tenant's rows about employees the caller may see. */
export const visibleTenantRows = (tenantColumn: unknown, employeeColumn: unknown): SQL =>
  sql`${tenantColumn} = ${tenantId} and ${visibleEmployee(employeeColumn)}`;

/** A table only SECURITY DEFINER functions (owned by the definer role) read and write. */
export const definerOnly = (name: string) => pgPolicy(name, { for: "all", to: definerRole, using: sql`true`, withCheck: sql`true` });

/**
 * Whether the transaction carries a caller the Worker signed. `app.claims()` refuses forged, expired and unsigned
 * claims, so any caller it answers is a signed one; with none set it answers `{}` and this is false.
 */
export const signedCaller = sql`(select app.claims() ->> 'caller') is not null`;

/**
 * Identity tables the definer reads and writes on behalf of system callers, whose functions take the user or
 * tenant as an argument (login, identity, refresh tokens, API key lookup): the definer sees their rows only while
 * a signed caller is present, so a leaked DATABASE_URL cannot run those functions for anyone.
 */
export const definerForSignedCallers = (name: string) =>
  pgPolicy(name, { for: "all", to: definerRole, using: signedCaller, withCheck: signedCaller });
