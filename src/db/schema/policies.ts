import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  date,
  foreignKey,
  index,
  integer,
  numeric,
  pgEnum,
  pgPolicy,
  pgTable,
  smallint,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { employees, TENANT_SLUG_PATTERN, tenants } from "./identity";
import { appRole, can, tenantId, userId, visibleTenantRows } from "./rls";

const policyManagers = can("policy:manage");

export const POLICY_UNITS = ["day", "half_day", "hour"] as const;
export const ACCRUAL_PERIODS = ["none", "monthly", "yearly"] as const;
/** Where a yearly allowance's year begins: 1 January, or the anniversary of the employee's hire date. */
export const ALLOWANCE_YEARS = ["calendar", "anniversary"] as const;
export const LEAVE_CATEGORIES = ["vacation", "sick", "parental", "unpaid", "other"] as const;
/** `tracked`: requests are checked against a balance; `untracked`: recorded and approved, never checked (unlimited). */
export const BALANCE_TRACKING = ["tracked", "untracked"] as const;
export const policyUnitEnum = pgEnum("policy_unit", POLICY_UNITS);
export const leaveCategoryEnum = pgEnum("leave_category", LEAVE_CATEGORIES);
export const balanceTrackingEnum = pgEnum("balance_tracking", BALANCE_TRACKING);
export const accrualPeriodEnum = pgEnum("accrual_period", ACCRUAL_PERIODS);
export const allowanceYearEnum = pgEnum("allowance_year", ALLOWANCE_YEARS);

/** Policy keys follow the same rule as tenant slugs: `pto-standard`. */
export const POLICY_KEY_PATTERN = TENANT_SLUG_PATTERN;
const amount = (name: string) => numeric(name, { precision: 10, scale: 4, mode: "number" });

/**
 * Leave policies, versioned: a change is a new row with the next version, never an edit, so every past
 * posting can be explained by the policy that was in force. The app role may INSERT and SELECT only.
 */
export const leavePolicies = pgTable(
  "leave_policies",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    key: text("key").notNull(),
    version: integer("version").notNull(),
    name: text("name").notNull(),
    category: leaveCategoryEnum("category").notNull().default("vacation"),
    unit: policyUnitEnum("unit").notNull(),
    tracking: balanceTrackingEnum("tracking").notNull().default("tracked"),
    accrualPeriod: accrualPeriodEnum("accrual_period").notNull().default("none"),
    accrualAmount: amount("accrual_amount").notNull().default(0),
    accrualYear: allowanceYearEnum("accrual_year").notNull().default("calendar"),
    /** The most a balance may hold; accruals stop at it. */
    maxBalance: amount("max_balance"),
    carryoverCap: amount("carryover_cap"),
    carryoverExpiryMonths: smallint("carryover_expiry_months"),
    negativeAllowance: amount("negative_allowance").notNull().default(0),
    waitingPeriodDays: integer("waiting_period_days").notNull().default(0),
    approvalsRequired: smallint("approvals_required").notNull().default(1),
    approvalTtlHours: integer("approval_ttl_hours").notNull().default(168),
    /** Whether managers may record requests for their direct reports (HR Admins always may). */
    managersMayRecord: boolean("managers_may_record").notNull().default(false),
    effectiveFrom: date("effective_from").notNull(),
    createdBy: uuid("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("leave_policies_key_version_key").on(t.tenantId, t.key, t.version),
    check("leave_policies_key_format", sql`${t.key} ~ ${sql.raw(`'${POLICY_KEY_PATTERN.source}'`)}`),
    check("leave_policies_version_positive", sql`${t.version} >= 1`),
    check(
      "leave_policies_amounts",
      sql`${t.accrualAmount} >= 0 and coalesce(${t.maxBalance}, 0) >= 0 and coalesce(${t.carryoverCap}, 0) >= 0 and ${t.negativeAllowance} >= 0`,
    ),
    check("leave_policies_accrual", sql`(${t.accrualPeriod} = 'none') = (${t.accrualAmount} = 0)`),
    check("leave_policies_accrual_year", sql`${t.accrualYear} = 'calendar' or ${t.accrualPeriod} = 'yearly'`),
    // Nothing accrues, caps or carries over where no balance is kept.
    check(
      "leave_policies_untracked",
      sql`${t.tracking} = 'tracked' or (${t.accrualPeriod} = 'none' and ${t.maxBalance} is null and ${t.carryoverCap} is null and ${t.carryoverExpiryMonths} is null and ${t.negativeAllowance} = 0)`,
    ),
    check("leave_policies_carryover_expiry", sql`${t.carryoverExpiryMonths} is null or ${t.carryoverExpiryMonths} between 1 and 36`),
    check(
      "leave_policies_approvals",
      sql`${t.approvalsRequired} in (0, 1, 2) and ${t.approvalTtlHours} > 0 and ${t.waitingPeriodDays} >= 0`,
    ),
    pgPolicy("leave_policies_select", { for: "select", to: appRole, using: sql`${t.tenantId} = ${tenantId}` }),
    pgPolicy("leave_policies_insert", {
      for: "insert",
      to: appRole,
      withCheck: sql`${t.tenantId} = ${tenantId} and ${policyManagers} and ${t.createdBy} = ${userId}`,
    }),
  ],
).enableRLS();

/** Which employee is under which policy, from when until when (an open end means still assigned). */
export const policyAssignments = pgTable(
  "policy_assignments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    employeeId: uuid("employee_id").notNull(),
    policyKey: text("policy_key").notNull(),
    startsOn: date("starts_on").notNull(),
    endsOn: date("ends_on"),
    createdBy: uuid("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("policy_assignments_start_key").on(t.tenantId, t.employeeId, t.policyKey, t.startsOn),
    foreignKey({
      name: "policy_assignments_employee_fk",
      columns: [t.tenantId, t.employeeId],
      foreignColumns: [employees.tenantId, employees.id],
    }),
    index("policy_assignments_policy_idx").on(t.tenantId, t.policyKey),
    check("policy_assignments_dates", sql`${t.endsOn} is null or ${t.endsOn} >= ${t.startsOn}`),
    pgPolicy("policy_assignments_select", {
      for: "select",
      to: appRole,
      using: visibleTenantRows(t.tenantId, t.employeeId),
    }),
    pgPolicy("policy_assignments_insert", {
      for: "insert",
      to: appRole,
      withCheck: sql`${t.tenantId} = ${tenantId} and ${policyManagers}`,
    }),
    pgPolicy("policy_assignments_update", {
      for: "update",
      to: appRole,
      using: sql`${t.tenantId} = ${tenantId} and ${policyManagers}`,
      withCheck: sql`${t.tenantId} = ${tenantId}`,
    }),
  ],
).enableRLS();
