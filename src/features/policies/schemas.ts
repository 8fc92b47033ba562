import { z } from "@hono/zod-openapi";
import { ACCRUAL_PERIODS, ALLOWANCE_YEARS, BALANCE_TRACKING, LEAVE_CATEGORIES, POLICY_KEY_PATTERN, POLICY_UNITS } from "../../db/schema";
import { CalendarDate } from "../../kernel/dates";

const amount = z.number().min(0).max(100_000).multipleOf(0.0001);

/** What each rule means, shared by the rules a client sends and the policy versions it reads. */
const RULE = {
  name: "Shown to employees",
  category: "What kind of leave it is, for reports and calendars: `vacation`, `sick`, `parental`, `unpaid` or `other`",
  tracking:
    "`tracked`: requests are checked against the balance; `untracked`: unlimited, recorded and approved without a balance check " +
    "(no accrual, cap, carry-over or negative allowance); usage is posted either way",
  unit: "What balances and requests under the policy count in: a day is 1 `day`, 2 `half_day` or 8 `hour`",
  accrual:
    "Credit posted per period, in the policy's unit, once the period's day has come in the employee's time zone: `monthly` on the " +
    "1st of each month; `yearly` the whole year's allowance up front, when the year begins (see `year`), prorated for a year the " +
    "employee is assigned, hired or past the waiting period only part of; `none` with amount 0 for no accrual",
  accrual_year:
    "Where a yearly allowance's year begins: `calendar` on 1 January, `anniversary` on the anniversary of the employee's hire date. " +
    "Fixed once a version is yearly",
  max_balance: "Accruals stop at this posted balance (grants and adjustments are not capped); null: no cap",
  carryover: "What the year-end rollover carries into the next year",
  carryover_cap: "The most carried over, in the policy's unit (the rest expires on 31 December); null: all of it",
  carryover_expiry_months: "Months after 1 January when carried-over days not used by then expire; null: they never expire",
  negative_allowance: "How far below zero requests may take the balance, in the policy's unit",
  waiting_period_days: "Days after the hire date before leave may start or accrue under the policy",
  approvals_required: "Distinct approvers a request needs: 0 (recorded and approved at once, e.g. sick leave reported by HR), 1 or 2",
  managers_may_record: "Whether managers may record requests for their direct reports (HR Admins and System Admins always may)",
  approval_ttl_hours: "Hours a request may wait for its decision before it expires and its days are freed",
  effective_from: "The first day this version's rules apply (to requests starting and accrual periods beginning from then)",
};

/** The rules of a policy version (everything but its key). */
export const PolicyRules = z
  .object({
    name: z.string().min(1).max(200).openapi({ description: RULE.name }),
    category: z.enum(LEAVE_CATEGORIES).default("vacation").openapi({ description: RULE.category }),
    unit: z.enum(POLICY_UNITS).openapi({ description: RULE.unit }),
    tracking: z.enum(BALANCE_TRACKING).default("tracked").openapi({ description: RULE.tracking }),
    accrual: z
      .object({
        period: z.enum(ACCRUAL_PERIODS),
        amount,
        year: z.enum(ALLOWANCE_YEARS).default("calendar").openapi({ description: RULE.accrual_year }),
      })
      .refine((a) => (a.period === "none") === (a.amount === 0), {
        error: "an accrual period needs an amount above 0, and 'none' an amount of 0",
      })
      .refine((a) => a.year === "calendar" || a.period === "yearly", {
        path: ["year"],
        error: "only a yearly allowance has an anniversary year",
      })
      .default({ period: "none", amount: 0, year: "calendar" })
      .openapi({ description: RULE.accrual }),
    max_balance: amount.nullable().default(null).openapi({ description: RULE.max_balance }),
    carryover: z
      .object({
        cap: amount.nullable().default(null).openapi({ description: RULE.carryover_cap }),
        expiry_months: z.number().int().min(1).max(36).nullable().default(null).openapi({ description: RULE.carryover_expiry_months }),
      })
      .default({ cap: null, expiry_months: null })
      .openapi({ description: RULE.carryover }),
    negative_allowance: amount.default(0).openapi({ description: RULE.negative_allowance }),
    waiting_period_days: z.number().int().min(0).max(3650).default(0).openapi({ description: RULE.waiting_period_days }),
    approvals_required: z
      .union([z.literal(0), z.literal(1), z.literal(2)])
      .default(1)
      .openapi({ description: RULE.approvals_required }),
    managers_may_record: z.boolean().default(false).openapi({ description: RULE.managers_may_record }),
    approval_ttl_hours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(168)
      .openapi({ description: RULE.approval_ttl_hours }),
    effective_from: CalendarDate.openapi({ description: RULE.effective_from }),
  })
  .refine(
    (r) =>
      r.tracking === "tracked" ||
      (r.accrual.period === "none" &&
        r.max_balance === null &&
        r.carryover.cap === null &&
        r.carryover.expiry_months === null &&
        r.negative_allowance === 0),
    { path: ["tracking"], error: "an untracked policy has no accrual, max_balance, carryover or negative_allowance" },
  )
  .openapi("PolicyRules");

export const PolicyKey = z.string().regex(POLICY_KEY_PATTERN, "lowercase letters, digits and dashes").openapi({ example: "pto-standard" });
export const CreatePolicyBody = PolicyRules.extend({
  key: PolicyKey.openapi({ description: "Permanent: requests, balances and entries name the policy by it" }),
}).openapi("CreatePolicy");
export const PolicyParams = z.object({ key: PolicyKey.openapi({ param: { name: "key", in: "path" } }) });

export const PolicySchema = z
  .object({
    id: z.uuid().openapi({ description: "This version's id (`policy_version_id` on requests and entries)" }),
    key: z.string(),
    version: z.number().int().openapi({ description: "1 for the first version, one more for each revision" }),
    name: z.string().openapi({ description: RULE.name }),
    category: z.enum(LEAVE_CATEGORIES).openapi({ description: RULE.category }),
    unit: z.enum(POLICY_UNITS).openapi({ description: RULE.unit }),
    tracking: z.enum(BALANCE_TRACKING).openapi({ description: RULE.tracking }),
    accrual: z
      .object({
        period: z.enum(ACCRUAL_PERIODS),
        amount: z.number(),
        year: z.enum(ALLOWANCE_YEARS).openapi({ description: RULE.accrual_year }),
      })
      .openapi({ description: RULE.accrual }),
    max_balance: z.number().nullable().openapi({ description: RULE.max_balance }),
    carryover: z
      .object({
        cap: z.number().nullable().openapi({ description: RULE.carryover_cap }),
        expiry_months: z.number().int().nullable().openapi({ description: RULE.carryover_expiry_months }),
      })
      .openapi({ description: RULE.carryover }),
    negative_allowance: z.number().openapi({ description: RULE.negative_allowance }),
    waiting_period_days: z.number().int().openapi({ description: RULE.waiting_period_days }),
    approvals_required: z.number().int().openapi({ description: RULE.approvals_required }),
    approval_ttl_hours: z.number().int().openapi({ description: RULE.approval_ttl_hours }),
    managers_may_record: z.boolean().openapi({ description: RULE.managers_may_record }),
    effective_from: CalendarDate.openapi({ description: RULE.effective_from }),
    created_at: z.iso.datetime({ offset: true }),
  })
  .openapi("Policy");

export const AssignBody = z
  .object({
    employee_ids: z.array(z.uuid()).min(1).max(1_000).openapi({ description: "Employees to assign" }),
    starts_on: CalendarDate.openapi({ description: "The first day of the assignment" }),
  })
  .openapi("AssignPolicy");
export const EndAssignmentBody = z
  .object({
    employee_ids: z.array(z.uuid()).min(1).max(1_000).openapi({ description: "Employees whose open assignment to end" }),
    ends_on: CalendarDate.openapi({ description: "The last day of the assignment" }),
  })
  .openapi("EndPolicyAssignment");
export const AssignmentResult = z
  .object({
    policy_key: z.string(),
    changed: z.number().int().openapi({ description: "How many employees this call changed" }),
    employee_ids: z.array(z.uuid()).openapi({ description: "The employees it changed; the others were left as they were" }),
  })
  .openapi("AssignmentResult");
