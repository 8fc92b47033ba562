import { createRoute, z } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { EVENT_TYPES } from "../../domain/webhooks";
import { CONFIDENTIAL_ERRORS, createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import {
  DeliveryParams,
  DeliveryQuery,
  DeliveryResolution,
  EVENT_DATA,
  NewWebhookSubscription,
  SecretRotation,
  SubscriptionParams,
  SubscriptionQuery,
  WebhookDeliveryDetail,
  WebhookDeliveryPage,
  WebhookEvent,
  WebhookSubscription,
  WebhookSubscriptionChange,
  WebhookSubscriptionList,
  WebhookSubscriptionWithSecret,
} from "./schemas";
import {
  createSubscription,
  deleteSubscription,
  getDelivery,
  getSubscription,
  listDeliveries,
  listSubscriptions,
  resolveDelivery,
  rotateSecret,
  updateSubscription,
} from "./service";

/** A payroll system subscribed to approvals and cancellations (a demo of the shape; the demo data has none). */
const EXAMPLE = {
  id: "5b1e7c3a-2f4d-4e8a-9c6b-1d0f3a7e2b94",
  url: "https://payroll.example.com/hooks/leave",
  event_types: ["leave_request.approved" as const, "leave_request.cancelled" as const],
  description: "Payroll sync",
  enabled: true,
  previous_secret_expires_at: null,
  created_by: "00000000-0000-4000-8100-000000000101",
  created_at: "2026-12-01T10:00:00+00:00",
  updated_at: "2026-12-01T10:00:00+00:00",
};
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw4Wm9l7Ipv3U=";
const ERRORS = ["VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS] as const;
const SYSTEM_ADMINS = "System Admins only; audited";

const create = createRoute({
  method: "post",
  path: "/v1/webhooks/subscriptions",
  tags: ["Webhooks"],
  operationId: "createWebhookSubscription",
  summary: "Subscribe to events",
  description:
    "Subscribes a URL to the tenant's domain events (docs/integrations.md). The answer carries the signing secret (Standard Webhooks, " +
    `\`whsec_…\`) once; it is stored sealed and never shown again. ${SYSTEM_ADMINS} as \`webhook.create\` (with the URL's host only).`,
  ...signedIn("config:manage"),
  request: {
    body: jsonBody(NewWebhookSubscription, { url: EXAMPLE.url, event_types: EXAMPLE.event_types, description: EXAMPLE.description }),
  },
  responses: {
    201: jsonResponse("Subscribed", WebhookSubscriptionWithSecret, { ...EXAMPLE, secret: SECRET }),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/webhooks/subscriptions",
  tags: ["Webhooks"],
  operationId: "listWebhookSubscriptions",
  summary: "List subscriptions",
  description: "The tenant's webhook subscriptions, newest first, without their secrets. System Admins only.",
  ...signedIn("config:manage"),
  request: { query: SubscriptionQuery },
  responses: {
    200: jsonResponse("Subscriptions", WebhookSubscriptionList, { data: [EXAMPLE], total: 1, offset: 0, limit: 20 }),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/webhooks/subscriptions/{id}",
  tags: ["Webhooks"],
  operationId: "getWebhookSubscription",
  summary: "Read a subscription",
  description: "One subscription, without its secret. System Admins only.",
  ...signedIn("config:manage"),
  request: { params: SubscriptionParams },
  responses: { 200: jsonResponse("The subscription", WebhookSubscription, EXAMPLE), ...errorResponses(...ERRORS) },
});

const update = createRoute({
  method: "patch",
  path: "/v1/webhooks/subscriptions/{id}",
  tags: ["Webhooks"],
  operationId: "updateWebhookSubscription",
  summary: "Change a subscription",
  description: `Changes the fields given: URL, event types, description, enabled. ${SYSTEM_ADMINS} as \`webhook.update\`.`,
  ...signedIn("config:manage"),
  request: { params: SubscriptionParams, body: jsonBody(WebhookSubscriptionChange, { enabled: false }) },
  responses: { 200: jsonResponse("Changed", WebhookSubscription, { ...EXAMPLE, enabled: false }), ...errorResponses(...ERRORS) },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/webhooks/subscriptions/{id}",
  tags: ["Webhooks"],
  operationId: "deleteWebhookSubscription",
  summary: "Delete a subscription",
  description: `Stops deliveries to it for good. ${SYSTEM_ADMINS} as \`webhook.delete\`.`,
  ...signedIn("config:manage"),
  request: { params: SubscriptionParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses(...ERRORS) },
});

const rotate = createRoute({
  method: "post",
  path: "/v1/webhooks/subscriptions/{id}/rotation",
  tags: ["Webhooks"],
  operationId: "rotateWebhookSecret",
  summary: "Rotate a subscription's secret",
  description:
    "Issues a new signing secret, shown once. For `overlap_hours` (default 24, at most 168) deliveries carry a signature under the " +
    "previous secret too, so the receiver can switch without missing one. Two rotations at once: the second is a `CONFLICT`. " +
    `${SYSTEM_ADMINS} as \`webhook.rotate\`.`,
  ...signedIn("config:manage"),
  request: { params: SubscriptionParams, body: jsonBody(SecretRotation, { overlap_hours: 24 }) },
  responses: {
    200: jsonResponse("Rotated", WebhookSubscriptionWithSecret, {
      ...EXAMPLE,
      previous_secret_expires_at: "2026-12-02T10:00:00+00:00",
      updated_at: "2026-12-01T10:00:00+00:00",
      secret: SECRET,
    }),
    ...errorResponses("CONFLICT", ...ERRORS, ...CONFIDENTIAL_ERRORS),
  },
});

const DELIVERY = {
  id: "9d3c1f0e-6a2b-4c7d-8e5f-0a1b2c3d4e5f",
  subscription_id: EXAMPLE.id,
  event_id: "3f2a9c4e-1b7d-4e6a-8c5f-2d0e9a1b7c3d",
  event_type: "leave_request.approved" as const,
  subject: "leave_request:7c9e6679-7425-40de-944b-e07fc1f90ae7",
  sequence: 2,
  status: "dead" as const,
  attempts: 8,
  failures: 8,
  last_attempt: {
    attempt: 8,
    started_at: "2026-12-02T01:12:40+00:00",
    duration_ms: 10_004,
    status_code: null,
    outcome: "timeout" as const,
    error: "no answer within 10000 ms",
  },
  delivered_at: null,
  created_at: "2026-12-01T10:00:00+00:00",
};
const DELIVERY_ERRORS = ["RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS] as const;

const listDeliveriesRoute = createRoute({
  method: "get",
  path: "/v1/webhooks/subscriptions/{id}/deliveries",
  tags: ["Webhooks"],
  operationId: "listWebhookDeliveries",
  summary: "List a subscription's deliveries",
  description:
    "Each event sent (or to be sent) to the subscription, newest first, with its status and last attempt; `status=dead` lists what " +
    "holds its subject back. System Admins only.",
  ...signedIn("config:manage"),
  request: { params: SubscriptionParams, query: DeliveryQuery },
  responses: {
    200: jsonResponse("Deliveries", WebhookDeliveryPage, { data: [DELIVERY], pagination: { next_cursor: null, has_more: false } }),
    ...errorResponses("VALIDATION_FAILED", ...DELIVERY_ERRORS),
  },
});

const getDeliveryRoute = createRoute({
  method: "get",
  path: "/v1/webhooks/deliveries/{id}",
  tags: ["Webhooks"],
  operationId: "getWebhookDelivery",
  summary: "Read a delivery and its attempts",
  description: "One delivery with the event it carries and the log of every attempt (outcome, status code, duration). System Admins only.",
  ...signedIn("config:manage"),
  request: { params: DeliveryParams },
  responses: {
    200: jsonResponse("The delivery", WebhookDeliveryDetail, {
      ...DELIVERY,
      event: {
        id: DELIVERY.event_id,
        type: DELIVERY.event_type,
        version: 1 as const,
        subject: DELIVERY.subject,
        sequence: DELIVERY.sequence,
        timestamp: "2026-12-01T10:00:00+00:00",
        data: { request_id: "7c9e6679-7425-40de-944b-e07fc1f90ae7", status: "approved", start_date: "2026-12-21", end_date: "2026-12-23" },
      },
      attempt_log: [DELIVERY.last_attempt],
    }),
    ...errorResponses("VALIDATION_FAILED", ...DELIVERY_ERRORS),
  },
});

const resolution = (action: "redeliver" | "skip") =>
  createRoute({
    method: "post",
    path: `/v1/webhooks/deliveries/{id}/${action === "redeliver" ? "redelivery" : "skip"}`,
    tags: ["Webhooks"],
    operationId: action === "redeliver" ? "redeliverWebhook" : "skipWebhook",
    summary: action === "redeliver" ? "Redeliver a dead delivery" : "Skip a dead delivery",
    description:
      action === "redeliver"
        ? "Sends a dead (or skipped) delivery again, from a fresh count of failures; its subject's later events follow once it is " +
          `delivered. Answers \`CONFLICT\` for a pending or delivered one. ${SYSTEM_ADMINS} as \`webhook.redeliver\`.`
        : "Gives up on a dead delivery, so its subject's later events go on without it. Answers `CONFLICT` unless it is dead. " +
          `${SYSTEM_ADMINS} as \`webhook.skip\`.`,
    ...signedIn("config:manage"),
    request: { params: DeliveryParams },
    responses: {
      200: jsonResponse(action === "redeliver" ? "Pending again" : "Skipped", DeliveryResolution, {
        id: DELIVERY.id,
        status: action === "redeliver" ? ("pending" as const) : ("skipped" as const),
      }),
      ...errorResponses("VALIDATION_FAILED", "CONFLICT", ...DELIVERY_ERRORS),
    },
  });

export const webhookRoutes = createRouter()
  .openapi(create, async (c) =>
    c.json(await createSubscription(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("json")), 201),
  )
  .openapi(list, async (c) => c.json(await listSubscriptions(c.get("config"), c.get("principal"), c.req.valid("query")), 200))
  .openapi(get, async (c) => c.json(await getSubscription(c.get("config"), c.get("principal"), c.req.valid("param").id), 200))
  .openapi(update, async (c) =>
    c.json(
      await updateSubscription(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("param").id, c.req.valid("json")),
      200,
    ),
  )
  .openapi(remove, async (c) => {
    await deleteSubscription(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(rotate, async (c) =>
    c.json(await rotateSecret(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(listDeliveriesRoute, async (c) =>
    c.json(await listDeliveries(c.get("config"), c.get("principal"), c.req.valid("param").id, c.req.valid("query")), 200),
  )
  .openapi(getDeliveryRoute, async (c) => c.json(await getDelivery(c.get("config"), c.get("principal"), c.req.valid("param").id), 200))
  .openapi(resolution("redeliver"), async (c) =>
    c.json(await resolveDelivery(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("param").id, "redeliver"), 200),
  )
  .openapi(resolution("skip"), async (c) =>
    c.json(await resolveDelivery(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("param").id, "skip"), 200),
  );

const SIGNATURE_HEADERS = z.object({
  "webhook-id": z.string().openapi({ description: "The event's id: the same on every attempt, so a receiver can drop repeats" }),
  "webhook-timestamp": z
    .string()
    .openapi({ description: "When this attempt was signed, in seconds since the epoch; refuse one more than 5 minutes off" }),
  "webhook-signature": z.string().openapi({
    description:
      "`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the subscription's secret; during a rotation one per secret, space-separated",
  }),
});

// The OpenAPI document's `webhooks`: what each event type POSTs to a subscribed URL (docs/integrations.md).
for (const type of EVENT_TYPES) {
  webhookRoutes.openAPIRegistry.registerWebhook({
    method: "post",
    path: type,
    tags: ["Webhooks"],
    operationId: `event_${type.replace(".", "_")}`,
    summary: type,
    security: [],
    description:
      "Signed per Standard Webhooks; verify before trusting it (the `standardwebhooks` package does). At least once, in order per subject: " +
      "answer 2xx within 10 seconds to acknowledge; anything else (or a redirect) is retried with backoff, then dead-lettered.",
    request: {
      headers: SIGNATURE_HEADERS,
      body: {
        required: true,
        content: { "application/json": { schema: WebhookEvent.extend({ type: z.literal(type), data: EVENT_DATA[type] }) } },
      },
    },
    responses: { 200: { description: "Acknowledged (any 2xx)" } },
  });
}
