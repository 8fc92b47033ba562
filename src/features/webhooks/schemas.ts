import { z } from "@hono/zod-openapi";
import { EVENT_TYPES, MAX_WEBHOOK_URL_LENGTH, WEBHOOK_PAYLOAD_VERSION } from "../../domain/webhooks";
import { OffsetQuery, PageQuery, Pagination } from "../../kernel/pagination";

const EventTypes = z
  .array(z.enum(EVENT_TYPES))
  .max(EVENT_TYPES.length)
  .refine((types) => new Set(types).size === types.length, "each event type once")
  .openapi({ description: "The event types delivered (docs/integrations.md); empty: all of them" });

export const WebhookSubscription = z
  .object({
    id: z.uuid(),
    url: z.string().openapi({ description: "Where events are POSTed, signed (Standard Webhooks)" }),
    event_types: z.array(z.enum(EVENT_TYPES)),
    description: z.string(),
    enabled: z.boolean().openapi({ description: "A disabled subscription receives nothing until enabled again" }),
    previous_secret_expires_at: z.iso
      .datetime({ offset: true })
      .nullable()
      .openapi({ description: "After a rotation, until when the previous secret signs deliveries too; null otherwise" }),
    created_by: z.uuid(),
    created_at: z.iso.datetime({ offset: true }),
    updated_at: z.iso.datetime({ offset: true }),
  })
  .openapi("WebhookSubscription");

export const WebhookSubscriptionWithSecret = WebhookSubscription.extend({
  secret: z.string().openapi({
    description: "The signing secret (`whsec_…`), for the receiver to verify signatures. Shown once: store it now.",
  }),
}).openapi("WebhookSubscriptionWithSecret");

export const NewWebhookSubscription = z
  .object({
    url: z.string().max(MAX_WEBHOOK_URL_LENGTH).openapi({
      description:
        "An absolute http(s) URL without credentials; in staging and production https only, and not localhost nor a private, loopback or link-local address",
    }),
    event_types: EventTypes.default([]),
    description: z.string().max(500).default(""),
    enabled: z.boolean().default(true),
  })
  .openapi("NewWebhookSubscription");

export const WebhookSubscriptionChange = z
  .object({
    url: NewWebhookSubscription.shape.url.optional(),
    event_types: EventTypes.optional(),
    description: z.string().max(500).optional(),
    enabled: z.boolean().optional(),
  })
  .refine((change) => Object.values(change).some((v) => v !== undefined), "at least one field to change")
  .openapi("WebhookSubscriptionChange");

export const SecretRotation = z
  .object({
    overlap_hours: z
      .number()
      .int()
      .min(0)
      .max(168)
      .default(24)
      .openapi({ description: "How long the previous secret keeps signing deliveries too (0 to 168 hours; default 24)" }),
  })
  .openapi("WebhookSecretRotation");

export const SubscriptionParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "5b1e7c3a-2f4d-4e8a-9c6b-1d0f3a7e2b94" }),
});

export const SubscriptionQuery = OffsetQuery;

export const WebhookSubscriptionList = z
  .object({ data: z.array(WebhookSubscription), total: z.number().int(), offset: z.number().int(), limit: z.number().int() })
  .openapi("WebhookSubscriptionList");

const requestData = z.strictObject({
  request_id: z.uuid(),
  employee_id: z.uuid(),
  policy_key: z.string(),
  status: z.enum(["pending", "approved", "rejected", "cancelled", "expired"]),
  start_date: z.iso.date(),
  end_date: z.iso.date(),
  days: z.number(),
  amount: z.number(),
});

/** What `data` holds for each event type (migrations/functions/95_outbox.sql writes it): ids, dates, amounts only. */
export const EVENT_DATA: Record<(typeof EVENT_TYPES)[number], z.ZodType> = {
  "leave_request.submitted": requestData,
  "leave_request.approved": requestData,
  "leave_request.rejected": requestData,
  "leave_request.cancelled": requestData,
  "leave_request.expired": requestData,
  "leave_request.corrected": requestData,
  "balance.adjusted": z.strictObject({
    entry_id: z.number().int(),
    employee_id: z.uuid(),
    policy_key: z.string(),
    kind: z.enum(["grant", "adjustment"]),
    amount: z.number(),
    effective_date: z.iso.date(),
  }),
  "accrual_run.completed": z.strictObject({
    run_id: z.uuid(),
    employees: z.number().int(),
    accruals: z.number().int(),
    amount: z.number(),
    carryover_expiries: z.number().int().optional().openapi({ description: "Expired carry-over entries (the daily or HR's run)" }),
    policy_key: z.string().optional().openapi({ description: "The policy, for the postings of a new assignment" }),
  }),
  "rollover.completed": z.strictObject({ run_id: z.uuid(), year: z.number().int() }),
  "rollover.reversed": z.strictObject({ run_id: z.uuid(), reversal_run_id: z.uuid(), year: z.number().int() }),
  "employee.created": z.strictObject({ employee_id: z.uuid(), user_id: z.uuid() }),
  "employee.updated": z.strictObject({
    employee_id: z.uuid(),
    changed: z.array(z.string()).openapi({ description: "The fields that changed" }),
  }),
  "employee.erased": z.strictObject({ employee_id: z.uuid() }),
  "policy.changed": z.strictObject({
    policy_key: z.string(),
    version: z.number().int(),
    policy_version_id: z.uuid(),
    effective_from: z.iso.date(),
  }),
  "security.refresh_token_reuse": z.strictObject({ user_id: z.uuid() }),
  "security.login_failures_from_address": z.strictObject({ failures: z.number().int(), window_seconds: z.number().int() }),
  "security.admin_new_country": z.strictObject({ user_id: z.uuid(), country: z.string().openapi({ description: "ISO 3166-1 alpha-2" }) }),
  "security.api_key_new_asn": z.strictObject({ api_key_id: z.uuid(), asn: z.string() }),
  "security.self_serving_refused": z.strictObject({
    user_id: z.uuid(),
    refused: z.enum(["own request", "own balance"]),
    route: z.string(),
  }),
  "security.bulk_adjustments": z.strictObject({ user_id: z.uuid(), entries: z.number().int(), window_minutes: z.number().int() }),
};

export const WebhookEvent = z
  .object({
    id: z.uuid().openapi({ description: "The event's id, also the `webhook-id` header: the same on every attempt and redelivery" }),
    type: z.enum(EVENT_TYPES),
    version: z.literal(WEBHOOK_PAYLOAD_VERSION).openapi({ description: "The payload's shape; a breaking change gets a new version" }),
    subject: z.string().openapi({ description: "What the event is about: `leave_request:<id>`, `balance:<account id>`, …" }),
    sequence: z
      .number()
      .int()
      .min(1)
      .openapi({
        description:
          "The event's place among its subject's events, from 1. A subscription never gets a lower one after a higher one, but may see " +
          "gaps (types it does not want, events while it was disabled, skipped deliveries)",
      }),
    timestamp: z.iso.datetime({ offset: true }).openapi({ description: "When the change happened" }),
    data: z
      .record(z.string(), z.unknown())
      .openapi({ description: "Ids, dates, amounts and statuses only, by type (docs/integrations.md)" }),
  })
  .openapi("WebhookEvent");

const DELIVERY_STATUSES = ["pending", "delivered", "dead", "skipped"] as const;
const ATTEMPT_OUTCOMES = ["delivered", "failed", "timeout", "unreachable", "refused_url"] as const;

export const WebhookAttempt = z
  .object({
    attempt: z.number().int(),
    started_at: z.iso.datetime({ offset: true }),
    duration_ms: z.number().int(),
    status_code: z.number().int().nullable().openapi({ description: "The receiver's HTTP status; null when it did not answer" }),
    outcome: z.enum(ATTEMPT_OUTCOMES),
    error: z.string().nullable().openapi({ description: "Why the attempt failed, in our words (never the receiver's body)" }),
  })
  .openapi("WebhookAttempt");

export const WebhookDelivery = z
  .object({
    id: z.uuid(),
    subscription_id: z.uuid(),
    event_id: z.uuid(),
    event_type: z.enum(EVENT_TYPES),
    subject: z.string(),
    sequence: z.number().int(),
    status: z.enum(DELIVERY_STATUSES).openapi({
      description:
        "`pending` (on its way, or waiting for the subject's earlier event), `delivered`, `dead` (failed too often: the subject's later " +
        "events wait until it is redelivered or skipped) or `skipped`",
    }),
    attempts: z.number().int(),
    failures: z.number().int().openapi({ description: "Failed attempts in a row (since the last redelivery)" }),
    last_attempt: WebhookAttempt.nullable(),
    delivered_at: z.iso.datetime({ offset: true }).nullable(),
    created_at: z.iso.datetime({ offset: true }),
  })
  .openapi("WebhookDelivery");

export const WebhookDeliveryDetail = WebhookDelivery.extend({
  event: WebhookEvent,
  attempt_log: z.array(WebhookAttempt).openapi({ description: "Every attempt, oldest first" }),
}).openapi("WebhookDeliveryDetail");

export const DeliveryQuery = PageQuery.extend({
  status: z.enum(DELIVERY_STATUSES).optional().openapi({ description: "Only deliveries in this status" }),
});

export const WebhookDeliveryPage = z.object({ data: z.array(WebhookDelivery), pagination: Pagination }).openapi("WebhookDeliveryPage");

export const DeliveryParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "9d3c1f0e-6a2b-4c7d-8e5f-0a1b2c3d4e5f" }),
});

export const DeliveryResolution = z.object({ id: z.uuid(), status: z.enum(["pending", "skipped"]) }).openapi("WebhookDeliveryResolution");
