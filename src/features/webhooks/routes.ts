import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { CONFIDENTIAL_ERRORS, createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import {
  NewWebhookSubscription,
  SecretRotation,
  SubscriptionParams,
  SubscriptionQuery,
  WebhookSubscription,
  WebhookSubscriptionChange,
  WebhookSubscriptionList,
  WebhookSubscriptionWithSecret,
} from "./schemas";
import { createSubscription, deleteSubscription, getSubscription, listSubscriptions, rotateSecret, updateSubscription } from "./service";

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
  );
