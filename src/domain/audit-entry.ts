import { z } from "@hono/zod-openapi";

/** An audit row as the API shows it (`GET /v1/audit`, its export, and the data subject's export). */
export const AuditEntry = z
  .object({
    id: z.number().int().openapi({ description: "The entry's id; later entries have larger ids" }),
    occurred_at: z.iso.datetime().openapi({ description: "When it happened (UTC)" }),
    actor_type: z.string().openapi({ description: "Who acted: `user`, `api_key`, `system` or `anonymous`", example: "user" }),
    actor_id: z.string().nullable().openapi({
      description:
        "The acting user's id (for an API key, its creator's; the key is in `details.api_key_id`), or the system part's name (such as `rate-limiter`); null for anonymous callers",
    }),
    action: z.string().openapi({ description: "What happened, such as `auth.login`, `role.assign` or `apikey.revoke`" }),
    target_type: z.string().nullable().openapi({ description: "What it happened to, such as `user`, `employee` or `api_key`" }),
    target_id: z.string().nullable().openapi({ description: "Which one: an id (the prefix for an API key), a date or a login identifier" }),
    success: z.boolean().openapi({ description: "false for refused attempts, such as a failed sign-in" }),
    ip: z.string().nullable().openapi({ description: "The caller's IP address, if known" }),
    user_agent: z.string().nullable().openapi({ description: "The caller's `User-Agent` header, if sent" }),
    request_id: z.string().nullable().openapi({ description: "The request's `X-Request-Id`, to find it in the logs" }),
    details: z.record(z.string(), z.unknown()).openapi({ description: "Facts particular to the action, such as the role granted" }),
    personal_details: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: "Personal facts particular to the action (erased with the person); null when there are none" }),
    personal_data_erased: z.boolean().openapi({
      description: "Whether `ip`, `user_agent` and `personal_details` were erased (the person's data was erased); the entry still verifies",
    }),
  })
  .openapi("AuditEntry");
