import { z } from "@hono/zod-openapi";
import { PageQuery, Pagination } from "../../kernel/pagination";

export const AuditQuery = PageQuery.extend({
  action: z
    .string()
    .regex(/^[a-z_]+(\.[a-z_]+)*$/, "an action such as auth.login")
    .max(64)
    .optional(),
});

export const AuditEntry = z
  .object({
    id: z.number().int(),
    occurred_at: z.string(),
    actor_type: z.string(),
    actor_id: z.string().nullable(),
    action: z.string(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    success: z.boolean(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi("AuditEntry");

export const AuditPage = z.object({ data: z.array(AuditEntry), pagination: Pagination }).openapi("AuditPage");

const VERIFY_CHUNK = 100_000;
export const VerificationQuery = z.object({
  after_seq: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .openapi({ description: "Start after this chain position (`next_after_seq` of the previous answer)" }),
  limit: z.coerce.number().int().min(1).max(VERIFY_CHUNK).default(VERIFY_CHUNK),
});
export const Verification = z
  .object({
    checked: z.number().int().openapi({ description: "Rows of the tenant's chain checked by this call" }),
    valid: z.boolean(),
    first_broken: z.object({ id: z.number().int(), chain_seq: z.number().int(), reason: z.string() }).nullable(),
    next_after_seq: z.number().int().nullable().openapi({ description: "Where to continue; null once the end of the chain was checked" }),
  })
  .openapi("AuditChainVerification");
