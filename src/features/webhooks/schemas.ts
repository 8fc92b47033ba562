import { z } from "@hono/zod-openapi";
import { EVENT_TYPES, MAX_WEBHOOK_URL_LENGTH } from "../../domain/webhooks";
import { OffsetQuery } from "../../kernel/pagination";

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
