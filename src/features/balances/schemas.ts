import { z } from "@hono/zod-openapi";
import { ENTRY_KINDS, POLICY_KEY_PATTERN } from "../../db/schema";
import { PageQuery, Pagination } from "../../kernel/pagination";

export const AsOfQuery = z.object({
  as_of: z.iso.date().optional().openapi({
    description:
      "An effective (leave) date: only entries effective on or before it count. Default: every entry, future-dated bookings included.",
  }),
});
export const EmployeeParams = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

export const PolicyBalance = z
  .object({
    policy_key: z.string(),
    unit: z.string(),
    posted: z.number().openapi({ description: "Credits minus posted usage (settled entries)" }),
    pending: z.number().openapi({ description: "Holds of pending requests, unexpired" }),
    negative_allowance: z.number(),
    available: z.number().openapi({ description: "posted − pending + negative_allowance: what a new request may take" }),
  })
  .openapi("PolicyBalance");

export const EmployeeBalances = z
  .object({
    employee_id: z.uuid(),
    today: z.string().openapi({ description: "The employee's current date, in their own time zone" }),
    as_of: z.string().nullable(),
    balances: z.array(PolicyBalance),
  })
  .openapi("EmployeeBalances");
export const TeamBalances = z.object({ data: z.array(EmployeeBalances) }).openapi("TeamBalances");

export const ENTRY_SORTS = ["effective_date", "-effective_date", "id", "-id"] as const;
export const EntryListQuery = PageQuery.extend({
  employee_id: z.uuid().optional().openapi({ description: "Default: your own entries" }),
  policy_key: z.string().regex(POLICY_KEY_PATTERN).optional(),
  kind: z.enum(ENTRY_KINDS).optional(),
  from: z.iso.date().optional().openapi({ description: "Effective on or after" }),
  to: z.iso.date().optional().openapi({ description: "Effective on or before" }),
  sort: z.enum(ENTRY_SORTS).default("-id"),
});

export const LedgerEntrySchema = z
  .object({
    id: z.number().int(),
    employee_id: z.uuid(),
    policy_key: z.string(),
    policy_version_id: z.uuid().nullable(),
    kind: z.enum(ENTRY_KINDS),
    amount: z.number(),
    effective_date: z.string(),
    recorded_at: z.string(),
    reference: z.string(),
    request_id: z.uuid().nullable(),
    run_id: z.uuid().nullable(),
    resolves_entry_id: z.number().int().nullable(),
    expires_at: z.string().nullable(),
    note: z.string().nullable(),
  })
  .openapi("LedgerEntry");
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
      .refine((a) => a !== 0, "must not be 0"),
    effective_date: z.iso.date(),
    note: z.string().min(1).max(500),
  })
  .refine((b) => b.kind !== "grant" || b.amount > 0, { path: ["amount"], error: "a grant is positive" })
  .openapi("Adjustment");
