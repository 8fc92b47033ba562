import { z } from "@hono/zod-openapi";
import { AuditEntry } from "../../domain/audit-entry";
import { Instant } from "../../kernel/dates";
import { PageQuery, Pagination, queryInteger } from "../../kernel/pagination";

export const AuditQuery = PageQuery.extend({
  action: z
    .string()
    .regex(/^[a-z_]+(\.[a-z_]+)*$/, "an action such as auth.login")
    .max(64)
    .optional()
    .openapi({ description: "Only entries of this action, such as `auth.login` or `role.assign`", example: "auth.login" }),
  actor_id: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .openapi({ description: "Only entries by this actor: a user's id (also for an API key acting for them) or a system part's name" }),
  target_type: z
    .string()
    .regex(/^[a-z_]+$/, "a kind of subject such as user or leave_request")
    .max(32)
    .optional()
    .openapi({ description: "Only entries about this kind of subject, such as `user`, `employee` or `leave_request`", example: "user" }),
  target_id: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .openapi({ description: "Only entries about this subject: an id (the prefix for an API key), a date or a login identifier" }),
  from: Instant.optional().openapi({ description: "Only entries at or after this instant", example: "2026-11-01T00:00:00Z" }),
  to: Instant.optional().openapi({ description: "Only entries before this instant", example: "2026-12-01T00:00:00Z" }),
});

export const AuditExportQuery = AuditQuery.omit({ limit: true, cursor: true }).extend({
  format: z
    .enum(["ndjson", "csv"])
    .default("ndjson")
    .openapi({ description: "`ndjson`: one JSON entry per line; `csv`: a header line, then one line per entry (`details` as JSON)" }),
});

export { AuditEntry };

export const AuditPage = z.object({ data: z.array(AuditEntry), pagination: Pagination }).openapi("AuditPage");

const VERIFY_CHUNK = 100_000;
export const VerificationQuery = z.object({
  after_id: queryInteger(0, Number.MAX_SAFE_INTEGER)
    .default(0)
    .openapi({ description: "Start after the entry with this id (`next_after_id` of the previous answer)" }),
  limit: queryInteger(1, VERIFY_CHUNK).default(VERIFY_CHUNK).openapi({ description: "How many entries to check in this call" }),
});
export const Verification = z
  .object({
    checked: z.number().int().openapi({ description: "Entries checked by this call" }),
    valid: z.boolean().openapi({ description: "Whether every entry checked follows from its predecessor in its chain" }),
    first_broken: z
      .object({
        id: z
          .number()
          .int()
          .nullable()
          .openapi({ description: "The audit entry's `id`; null when the entries at the end of a chain are missing" }),
        chain: z.number().int().nullable().openapi({ description: "Which of the tenant's chains; null for an entry in none" }),
        chain_seq: z.number().int().nullable().openapi({ description: "The position in that chain; null for an entry in none" }),
        reason: z.string().openapi({
          description:
            "What is wrong: the entry was inserted (in no chain, beyond its chain's newest link, or behind a retention checkpoint), a row is " +
            "missing before it, it or its predecessor was altered, the retention checkpoint before it is not validly signed, or the newest " +
            "entries of a chain are missing from this position on",
        }),
      })
      .nullable()
      .openapi({ description: "The first entry (by id) that does not follow; null when every entry checked does" }),
    next_after_id: z.number().int().nullable().openapi({ description: "Where to continue; null once the last entry was checked" }),
  })
  .openapi("AuditChainVerification");
