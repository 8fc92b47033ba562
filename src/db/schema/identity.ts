import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  date,
  foreignKey,
  index,
  pgEnum,
  pgPolicy,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { ROLES } from "../../kernel/access";
import { appRole, can, definerRole, employeeId, managedBy, mayManage, signedCaller, tenantId, userId } from "./rls";

/** Tenant slugs: checked by the database (`tenants_slug_format`) and by the API's validators. */
export const TENANT_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;
/** Holiday calendars are named like slugs (`berlin`, `uk-england`); everyone follows `default` until told otherwise. */
export const HOLIDAY_CALENDAR_PATTERN = TENANT_SLUG_PATTERN;
export const DEFAULT_HOLIDAY_CALENDAR = "default";
export const calendarFormat = (column: unknown) => sql`${column} ~ ${sql.raw(`'${HOLIDAY_CALENDAR_PATTERN.source}'`)}`;

export const roleEnum = pgEnum("app_role", ROLES);
export const tenantStatusEnum = pgEnum("tenant_status", ["active", "suspended"]);
export const userStatusEnum = pgEnum("user_status", ["active", "deactivated", "erased"]);

export const tenants = pgTable(
  "tenants",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    slug: text("slug").notNull().unique(),
    name: text("name").notNull(),
    status: tenantStatusEnum("status").notNull().default("active"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Audit rows are purged this many years after they were written (the daily job, behind signed checkpoints). */
    auditRetentionYears: smallint("audit_retention_years").notNull().default(7),
    /** A year's data keys are destroyed this many years after the year ended (its reasons, comments, notes); null: never. */
    confidentialRetentionYears: smallint("confidential_retention_years").default(3),
  },
  (t) => [
    check("tenants_slug_format", sql`${t.slug} ~ ${sql.raw(`'${TENANT_SLUG_PATTERN.source}'`)}`),
    check("tenants_audit_retention", sql`${t.auditRetentionYears} between 1 and 100`),
    check("tenants_confidential_retention", sql`${t.confidentialRetentionYears} between 1 and 100`),
    pgPolicy("tenants_select_own", { for: "select", to: appRole, using: sql`${t.id} = ${tenantId}` }),
    pgPolicy("tenants_directory_lookup", { for: "select", to: definerRole, using: signedCaller }),
    pgPolicy("tenants_update_own", {
      for: "update",
      to: appRole,
      using: sql`${t.id} = ${tenantId} and ${can("config:manage")}`,
      withCheck: sql`${t.id} = ${tenantId}`,
    }),
  ],
).enableRLS();

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    email: text("email").notNull(),
    displayName: text("display_name").notNull(),
    status: userStatusEnum("status").notNull().default("active"),
    /** Copies of the versions in the user's Durable Object, for when it cannot be reached (src/auth). */
    sessionVersion: bigint("session_version", { mode: "number" }).notNull().default(0),
    permissionVersion: bigint("permission_version", { mode: "number" }).notNull().default(0),
    /** The `sub` of this user's tokens from the tenant's external OIDC issuer, if it uses one. */
    externalSubject: text("external_subject"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    /** When the person's data was erased (`app.erase_employee`): status `erased`, for good. */
    erasedAt: timestamp("erased_at", { withTimezone: true }),
  },
  (t) => [
    unique("users_tenant_id_id_key").on(t.tenantId, t.id),
    uniqueIndex("users_tenant_email_key").on(t.tenantId, sql`lower(${t.email})`),
    uniqueIndex("users_tenant_external_subject_key").on(t.tenantId, t.externalSubject),
    // The directory's search (`ILIKE '%…%'`): trigram indexes find substrings without reading every row.
    index("users_display_name_trgm").using("gin", t.displayName.op("gin_trgm_ops")),
    index("users_email_trgm").using("gin", t.email.op("gin_trgm_ops")),
    check("users_email_format", sql`${t.email} ~ '^[^@\\s]+@[^@\\s]+$'`),
    pgPolicy("users_select", {
      for: "select",
      to: appRole,
      using: sql`${t.tenantId} = ${tenantId} and (${t.id} = ${userId} or ${can("tenant:read")} or exists (
        select 1 from employees e where e.user_id = ${t.id} and e.manager_id = any(${managedBy})))`,
    }),
    pgPolicy("users_insert", {
      for: "insert",
      to: appRole,
      withCheck: sql`${t.tenantId} = ${tenantId} and ${can("user:manage")}`,
    }),
    pgPolicy("users_update", {
      for: "update",
      to: appRole,
      using: sql`${t.tenantId} = ${tenantId} and ${can("user:manage")} and ${mayManage(t.id)}`,
      withCheck: sql`${t.tenantId} = ${tenantId}`,
    }),
  ],
).enableRLS();

export const employees = pgTable(
  "employees",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    userId: uuid("user_id").notNull().unique(),
    employeeNumber: text("employee_number").notNull(),
    managerId: uuid("manager_id"),
    timeZone: text("time_zone").notNull(),
    hireDate: date("hire_date").notNull(),
    /** The last day of employment (`POST /v1/employees/{id}/termination`): no accruals or leave after it. */
    endDate: date("end_date"),
    /** ISO weekdays worked (1 = Monday); leave is charged only for these, minus their holiday calendar's holidays. */
    workWeek: smallint("work_week").array().notNull().default(sql`'{1,2,3,4,5}'::smallint[]`),
    /** The tenant's holiday calendar the employee follows (their location's public holidays). */
    holidayCalendar: text("holiday_calendar").notNull().default(DEFAULT_HOLIDAY_CALENDAR),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("employees_tenant_id_id_key").on(t.tenantId, t.id),
    unique("employees_tenant_number_key").on(t.tenantId, t.employeeNumber),
    // Composite keys keep every link inside one tenant.
    foreignKey({ name: "employees_user_fk", columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ name: "employees_manager_fk", columns: [t.tenantId, t.managerId], foreignColumns: [t.tenantId, t.id] }),
    index("employees_manager_idx").on(t.tenantId, t.managerId),
    index("employees_number_trgm").using("gin", t.employeeNumber.op("gin_trgm_ops")),
    check("employees_not_own_manager", sql`${t.managerId} is distinct from ${t.id}`),
    check("employees_time_zone_format", sql`${t.timeZone} ~ '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$'`),
    check("employees_end_after_hire", sql`${t.endDate} >= ${t.hireDate}`),
    check("employees_holiday_calendar_format", calendarFormat(t.holidayCalendar)),
    pgPolicy("employees_select", {
      for: "select",
      to: appRole,
      using: sql`${t.tenantId} = ${tenantId} and (${t.id} = ${employeeId} or ${t.managerId} = any(${managedBy}) or ${can("tenant:read")})`,
    }),
    pgPolicy("employees_insert", {
      for: "insert",
      to: appRole,
      withCheck: sql`${t.tenantId} = ${tenantId} and ${can("user:manage")}`,
    }),
    // HR Admins edit the records of those they may manage: never a System Admin's (app.may_manage).
    pgPolicy("employees_update", {
      for: "update",
      to: appRole,
      using: sql`${t.tenantId} = ${tenantId} and ${can("user:manage")} and ${mayManage(t.userId)}`,
      withCheck: sql`${t.tenantId} = ${tenantId}`,
    }),
  ],
).enableRLS();

export const roleAssignments = pgTable(
  "role_assignments",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    userId: uuid("user_id").notNull(),
    role: roleEnum("role").notNull(),
    grantedBy: uuid("granted_by"),
    grantedAt: timestamp("granted_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.role] }),
    foreignKey({ name: "role_assignments_user_fk", columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
    pgPolicy("role_assignments_select", {
      for: "select",
      to: appRole,
      using: sql`${t.tenantId} = ${tenantId} and (${t.userId} = ${userId} or ${can("tenant:read")})`,
    }),
    // HR Admins manage roles but cannot mint System Admins, nor touch any role of a user they may not manage.
    pgPolicy("role_assignments_insert", {
      for: "insert",
      to: appRole,
      withCheck: sql`${t.tenantId} = ${tenantId} and (${can("role:assign:system_admin")} or (${can("role:assign")} and ${t.role} <> 'system_admin')) and ${mayManage(t.userId)}`,
    }),
    pgPolicy("role_assignments_delete", {
      for: "delete",
      to: appRole,
      using: sql`${t.tenantId} = ${tenantId} and (${can("role:assign:system_admin")} or (${can("role:assign")} and ${t.role} <> 'system_admin')) and ${mayManage(t.userId)}`,
    }),
  ],
).enableRLS();
