import { z } from "@hono/zod-openapi";
import { ACCRUAL_PERIODS, POLICY_KEY_PATTERN, POLICY_UNITS } from "../../db/schema";

const amount = z.number().min(0).max(100_000).multipleOf(0.0001);

/** The rules of a policy version (everything but its key). */
export const PolicyRules = z
  .object({
    name: z.string().min(1).max(200),
    unit: z.enum(POLICY_UNITS),
    accrual: z
      .object({ period: z.enum(ACCRUAL_PERIODS), amount })
      .refine((a) => (a.period === "none") === (a.amount === 0), {
        error: "an accrual period needs an amount above 0, and 'none' an amount of 0",
      })
      .default({ period: "none", amount: 0 }),
    max_balance: amount.nullable().default(null),
    carryover: z
      .object({ cap: amount.nullable().default(null), expiry_months: z.number().int().min(1).max(36).nullable().default(null) })
      .default({ cap: null, expiry_months: null }),
    negative_allowance: amount.default(0),
    waiting_period_days: z.number().int().min(0).max(3650).default(0),
    approvals_required: z.union([z.literal(1), z.literal(2)]).default(1),
    approval_ttl_hours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(168),
    effective_from: z.iso.date(),
  })
  .openapi("PolicyRules");

export const PolicyKey = z.string().regex(POLICY_KEY_PATTERN, "lowercase letters, digits and dashes").openapi({ example: "pto-standard" });
export const CreatePolicyBody = PolicyRules.extend({ key: PolicyKey }).openapi("CreatePolicy");
export const PolicyParams = z.object({ key: PolicyKey.openapi({ param: { name: "key", in: "path" } }) });

export const PolicySchema = z
  .object({
    id: z.uuid(),
    key: z.string(),
    version: z.number().int(),
    name: z.string(),
    unit: z.enum(POLICY_UNITS),
    accrual: z.object({ period: z.enum(ACCRUAL_PERIODS), amount: z.number() }),
    max_balance: z.number().nullable(),
    carryover: z.object({ cap: z.number().nullable(), expiry_months: z.number().int().nullable() }),
    negative_allowance: z.number(),
    waiting_period_days: z.number().int(),
    approvals_required: z.number().int(),
    approval_ttl_hours: z.number().int(),
    effective_from: z.string(),
    created_at: z.string(),
  })
  .openapi("Policy");

export const AssignBody = z.object({ employee_ids: z.array(z.uuid()).min(1).max(1_000), starts_on: z.iso.date() }).openapi("AssignPolicy");
export const EndAssignmentBody = z
  .object({ employee_ids: z.array(z.uuid()).min(1).max(1_000), ends_on: z.iso.date() })
  .openapi("EndPolicyAssignment");
export const AssignmentResult = z
  .object({ policy_key: z.string(), changed: z.number().int(), employee_ids: z.array(z.uuid()) })
  .openapi("AssignmentResult");
