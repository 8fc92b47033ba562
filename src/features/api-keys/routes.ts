import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import type { ErrorCode } from "../../kernel/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { OffsetQuery } from "../../kernel/pagination";
import { ApiKeyPage, CreateApiKeyBody, KeyParams, NewApiKeySchema } from "./schemas";
import { createApiKey, listApiKeys, revokeApiKey, rotateApiKey } from "./service";

const ERRORS: ErrorCode[] = ["VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS];

const create = createRoute({
  method: "post",
  path: "/v1/api-keys",
  tags: ["API keys"],
  summary: "Create a service API key (System Admin). The key is shown once.",
  ...signedIn("apikey:manage"),
  request: { body: jsonBody(CreateApiKeyBody) },
  responses: { 201: jsonResponse("Created", NewApiKeySchema), ...errorResponses(...ERRORS) },
});

const list = createRoute({
  method: "get",
  path: "/v1/api-keys",
  tags: ["API keys"],
  summary: "List the tenant's API keys (no secrets)",
  ...signedIn("apikey:manage"),
  request: { query: OffsetQuery },
  responses: {
    200: jsonResponse("A page", ApiKeyPage),
    ...errorResponses(...ERRORS),
  },
});

const rotate = createRoute({
  method: "post",
  path: "/v1/api-keys/{key_id}/rotate",
  tags: ["API keys"],
  summary: "Replace a key's secret; the old secret stops working at once",
  ...signedIn("apikey:manage"),
  request: { params: KeyParams },
  responses: { 200: jsonResponse("Rotated", NewApiKeySchema), ...errorResponses(...ERRORS) },
});

const revoke = createRoute({
  method: "delete",
  path: "/v1/api-keys/{key_id}",
  tags: ["API keys"],
  summary: "Revoke a key; it stops working at once",
  ...signedIn("apikey:manage"),
  request: { params: KeyParams },
  responses: { 204: { description: "Revoked" }, ...errorResponses(...ERRORS) },
});

export const apiKeyRoutes = createRouter()
  .openapi(create, async (c) => c.json(await createApiKey(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("json")), 201))
  .openapi(list, async (c) => c.json(await listApiKeys(c.get("config"), c.get("principal"), c.req.valid("query")), 200))
  .openapi(rotate, async (c) =>
    c.json(await rotateApiKey(c.get("config"), c.env, requestFacts(c), c.get("principal"), c.req.valid("param").key_id), 200),
  )
  .openapi(revoke, async (c) => {
    await revokeApiKey(c.get("config"), c.env, requestFacts(c), c.get("principal"), c.req.valid("param").key_id);
    return c.body(null, 204);
  });
