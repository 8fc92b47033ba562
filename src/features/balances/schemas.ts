import { z } from "@hono/zod-openapi";
import { BALANCE_TRACKING, ENTRY_KINDS, LEAVE_CATEGORIES, POLICY_KEY_PATTERN } from "../../db/schema";
import { daysBetween } from "../../domain/calendar";
import { LedgerEntrySchema } from "../../domain/ledger-entries";
import { CalendarDate, Instant } from "../../kernel/dates";
import { PageQuery, Pagination } from "../../kernel/pagination";

export { LedgerEntrySchema };

const KNOWN_AT = Instant.optional().openapi({
  description:
    "A recorded time (bitemporal): the balances as the ledger said them then, counting only entries recorded by that instant " +
    "and the policy versions created by then; not in the future; never a forecast. Default: now.",
  example: "2026-12-01T09:00:00Z",
});

export const AsOfQuery = z.object({
  as_of: CalendarDate.optional().openapi({
    description:
      "An effective (leave) date: only entries effective on or before it count. Default: every entry, future-dated bookings included. " +
      "A date after the employee's today is a forecast: the accruals due by then and not yet posted count too, as `projected` " +
      "(at most 3 years ahead).",
    example: "2026-12-31",
  }),
  known_at: KNOWN_AT,
});
export const EmployeeParams = z.object({
  id: z
    .uuid()
    .openapi({ param: { name: "id", in: "path" }, description: "The employee's id", example: "00000000-0000-4000-8100-000000000204" }),
});

const inUnit = (what: string) => `${what}, in the policy's unit`;

export const PolicyBalance = z
  .object({
    policy_key: z.string(),
    unit: z.string().openapi({ description: "The policy's unit: `day`, `half_day` or `hour`" }),
    posted: z.number().openapi({ description: inUnit("Credits minus posted usage and expiries (settled entries)") }),
    projected: z.number().openapi({
      description: inUnit(
        "In a forecast (`as_of` after the employee's today): accruals and yearly allowances due by `as_of` and not yet posted, " +
          "as the accrual run will post them (prorated, capped at the maximum balance); 0 otherwise",
      ),
    }),
    pending: z.number().openapi({ description: inUnit("Held by pending requests not yet expired (0 or more)") }),
    negative_allowance: z.number().openapi({ description: inUnit("How far below zero requests may take the balance") }),
    tracking: z
      .enum(BALANCE_TRACKING)
      .openapi({ description: "`untracked`: unlimited; posted sums the usage (negative), nothing is checked" }),
    available: z.number().nullable().openapi({
      description:
        "posted + projected − pending + negative_allowance: what a new request may take; null for an untracked policy (no limit)",
    }),
  })
  .openapi("PolicyBalance");

export const EmployeeBalances = z
  .object({
    employee_id: z.uuid(),
    employee_name: z.string().openapi({ description: "Their name, as the directory shows it" }),
    today: CalendarDate.openapi({ description: "The employee's current date, in their own time zone" }),
    as_of: CalendarDate.nullable().openapi({ description: "The `as_of` asked for; null when every entry counts" }),
    known_at: z.iso
      .datetime({ offset: true })
      .nullable()
      .openapi({ description: "The `known_at` asked for; null for the ledger as it is now" }),
    forecast: z.boolean().openapi({ description: "Whether `as_of` is after the employee's today: balances include projected accruals" }),
    balances: z.array(PolicyBalance).openapi({ description: "One per policy the employee has a ledger account in, by policy key" }),
  })
  .openapi("EmployeeBalances");
export const TeamBalances = z
  .object({ data: z.array(EmployeeBalances).openapi({ description: "One per direct report, by employee id" }) })
  .openapi("TeamBalances");

export const ENTRY_SORTS = ["effective_date", "-effective_date", "id", "-id"] as const;
export const EntryListQuery = PageQuery.extend({
  employee_id: z.uuid().optional().openapi({ description: "Default: your own entries" }),
  policy_key: z.string().regex(POLICY_KEY_PATTERN).optional(),
  kind: z.enum(ENTRY_KINDS).optional(),
  from: CalendarDate.optional().openapi({ description: "Effective on or after" }),
  to: CalendarDate.optional().openapi({ description: "Effective on or before" }),
  known_at: Instant.optional().openapi({ description: "Only entries recorded by this instant: the ledger as it was then" }),
  sort: z.enum(ENTRY_SORTS).default("-id").openapi({ description: "By effective date or by id (posting order); `-` for descending" }),
});

export const EntryPage = z.object({ data: z.array(LedgerEntrySchema), pagination: Pagination }).openapi("LedgerEntryPage");

export const AdjustmentBody = z
  .object({
    policy_key: z.string().regex(POLICY_KEY_PATTERN),
    kind: z.enum(["grant", "adjustment"]).openapi({ description: "`grant`: a positive credit; `adjustment`: a correction of either sign" }),
    amount: z
      .number()
      .min(-10_000)
      .max(10_000)
      .multipleOf(0.0001)
      .refine((a) => a !== 0, "must not be 0")
      .openapi({ description: "Signed, in the policy's unit, at most 4 decimals: positive credits, negative debits" }),
    effective_date: CalendarDate.openapi({ description: "The day it counts for in balances as of a date" }),
    note: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .openapi({ description: "Why: kept on the entry, sealed (none can be added once the employee's data was erased)" }),
  })
  .refine((b) => b.kind !== "grant" || b.amount > 0, { path: ["amount"], error: "a grant is positive" })
  .openapi("Adjustment");

export const BalanceReportQuery = PageQuery.extend({
  as_of: CalendarDate.optional().openapi({ description: "Balances as of this effective date (default: every entry)" }),
  known_at: KNOWN_AT,
  policy_key: z
    .string()
    .regex(POLICY_KEY_PATTERN)
    .optional()
    .openapi({ description: "Only this policy's balances (and people with an account in it)" }),
  manager_id: z.uuid().optional().openapi({ description: "Only the direct reports of this employee" }),
});
export type BalanceReportFilter = z.output<typeof BalanceReportQuery>;
export const BalanceReportPage = z
  .object({ data: z.array(EmployeeBalances).openapi({ description: "One per employee, by employee id" }), pagination: Pagination })
  .openapi("BalanceReportPage");

export const UsageReportQuery = BalanceReportQuery.omit({ as_of: true, known_at: true })
  .extend({
    from: CalendarDate.openapi({ description: "The first leave day counted", example: "2026-11-01" }),
    to: CalendarDate.openapi({ description: "The last leave day counted (at most 366 days after `from`)", example: "2026-11-30" }),
  })
  .refine((q) => q.to >= q.from, { path: ["to"], error: "must not be before from" })
  .refine((q) => daysBetween(q.from, q.to) <= 366, { path: ["to"], error: "a period spans at most 366 days" });
export type UsageReportFilter = z.output<typeof UsageReportQuery>;
export const UsageReportPage = z
  .object({
    from: CalendarDate,
    to: CalendarDate,
    data: z.array(
      z
        .object({
          employee_id: z.uuid(),
          employee_name: z.string(),
          usage: z
            .array(
              z.object({
                policy_key: z.string(),
                category: z.enum(LEAVE_CATEGORIES),
                unit: z.string(),
                used: z.number().openapi({ description: "Leave taken in the period, in the policy's unit (usage less reversals)" }),
              }),
            )
            .openapi({ description: "One per policy with leave taken in the period, by policy key" }),
        })
        .openapi("EmployeeUsage"),
    ),
    pagination: Pagination,
  })
  .openapi("UsageReportPage");
