import { createRoute, type z } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import type { ErrorCode } from "../../kernel/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { OffsetQuery } from "../../kernel/pagination";
import { ApiKeyPage, type ApiKeySchema, CreateApiKeyBody, KeyParams, NewApiKeySchema } from "./schemas";
import { createApiKey, listApiKeys, revokeApiKey, rotateApiKey } from "./service";

const ERRORS: ErrorCode[] = ["VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS];

/** Examples: a payroll integration's key in the demo tenant (made-up secrets, shaped like real ones). */
const PAYROLL_KEY: z.infer<typeof ApiKeySchema> = {
  id: "6f1c2a9e-4b7d-4c3e-9a85-2d7b1e0f4c36",
  name: "Payroll sync",
  prefix: "3cda38e31c00",
  role: "auditor",
  scopes: ["tenant:read"],
  created_at: "2026-11-17T09:42:15.318Z",
  rotated_at: null,
  last_used_at: null,
  revoked_at: null,
};

const create = createRoute({
  method: "post",
  path: "/v1/api-keys",
  operationId: "createApiKey",
  tags: ["API keys"],
  summary: "Create a service API key",
  description:
    "Creates a key for an integration, acting with one role (any but `system_admin`), optionally narrowed to some of that role's permissions. " +
    "The answer carries the whole key in `key`: it is shown this once and only its hash is stored. System Admin only. Audited.",
  ...signedIn("apikey:manage"),
  request: { body: jsonBody(CreateApiKeyBody, { name: "Payroll sync", role: "auditor", scopes: ["tenant:read"] }) },
  responses: {
    201: jsonResponse("Created", NewApiKeySchema, { ...PAYROLL_KEY, key: "llk_3cda38e31c00_e-h3hMuzR03I6_mGIcx4uehuyiIbv92nUfG9pp7yOzs" }),
    ...errorResponses(...ERRORS),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/api-keys",
  operationId: "listApiKeys",
  tags: ["API keys"],
  summary: "List the tenant's API keys",
  description:
    "Every key of the caller's tenant, newest first, revoked ones included, one page at a time (`offset`, `limit`). " +
    "Secrets are never shown again: a key is named by its `prefix`. System Admin only.",
  ...signedIn("apikey:manage"),
  request: { query: OffsetQuery },
  responses: {
    200: jsonResponse("A page", ApiKeyPage, {
      data: [
        { ...PAYROLL_KEY, last_used_at: "2026-11-30T23:00:04.127Z" },
        {
          id: "b4673f18-7fda-4e53-a386-583e07c32679",
          name: "HRIS import (retired)",
          prefix: "ac4a1815be5b",
          role: "hr_admin",
          scopes: ["user:manage"],
          created_at: "2026-10-05T13:20:37.904Z",
          rotated_at: null,
          last_used_at: "2026-11-19T02:00:11.562Z",
          revoked_at: "2026-11-20T10:14:52.006Z",
        },
      ],
      total: 2,
      offset: 0,
      limit: 20,
    }),
    ...errorResponses(...ERRORS),
  },
});

const rotate = createRoute({
  method: "post",
  path: "/v1/api-keys/{key_id}/rotate",
  operationId: "rotateApiKey",
  tags: ["API keys"],
  summary: "Replace an API key's secret",
  description:
    "Issues a new secret for an active key, keeping its id, prefix, role and scopes; the old secret stops working before this answers. " +
    "The answer carries the new whole key in `key`, shown this once. Revoked keys answer 404. System Admin only. Audited.",
  ...signedIn("apikey:manage"),
  request: { params: KeyParams },
  responses: {
    200: jsonResponse("Rotated", NewApiKeySchema, {
      ...PAYROLL_KEY,
      rotated_at: "2026-12-01T08:05:41.072Z",
      last_used_at: "2026-11-30T23:00:04.127Z",
      key: "llk_3cda38e31c00_ztCuYPPQ8lTF9WXvvULrvjiKx1oTROx1ivC32WVdwn4",
    }),
    ...errorResponses(...ERRORS),
  },
});

const revoke = createRoute({
  method: "delete",
  path: "/v1/api-keys/{key_id}",
  operationId: "revokeApiKey",
  tags: ["API keys"],
  summary: "Revoke an API key",
  description:
    "The key stops working before this answers, for good; it stays in the list with its `revoked_at`. " +
    "Revoking a key already revoked changes nothing and answers 204 again, so a retry after a 503 finishes the job. " +
    "System Admin only. Audited.",
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
