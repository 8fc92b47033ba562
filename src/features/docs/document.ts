import type { OpenAPIHono } from "@hono/zod-openapi";
import pkg from "../../../package.json";
import { ANONYMOUS_ROUTES } from "../../auth/ip-limit";
import { IDEMPOTENCY_KEY_HEADER, MAX_BODY_BYTES, REPLAYED_HEADER, REQUEST_ID_HEADER } from "../../kernel/constants";
import type { AppEnv } from "../../kernel/context";
import { ERROR_CODES, type ErrorCode } from "../../kernel/errors";
import { ErrorSchema } from "../../kernel/openapi";
import { GETTING_STARTED } from "./getting-started";

// The document is JSON built by the generator and completed here: its shape is OpenAPI's, not a TypeScript type.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = Record<string, any>;

/** One line per tag, in the order a newcomer meets them. */
const TAGS: { name: string; description: string }[] = [
  { name: "Health", description: "Liveness and readiness for uptime monitors and load balancers." },
  { name: "Tenants", description: "Public tenant discovery for login screens." },
  { name: "Authentication", description: "Sign in with a password or a kiosk PIN, refresh and end sessions." },
  { name: "Identity", description: "Who you are, what you may do, your own password." },
  { name: "Balances", description: "Balances as of any date, ledger entries, and HR's grants and adjustments." },
  { name: "Requests", description: "Leave requests: submit (a hold is placed at once), list, read, cancel." },
  { name: "Approvals", description: "What waits for your decision; approve or reject." },
  { name: "Policies", description: "Leave policies, their versions and who they are assigned to." },
  { name: "Holidays", description: "The tenant's holidays: days no request is charged for." },
  { name: "Ledger runs", description: "Accruals, year-end rollover and its reversal, reconciliation." },
  { name: "Employees", description: "The people directory: search, records, and HR's changes to them." },
  { name: "Users", description: "Accounts: creation, roles and credentials (HR Admin, System Admin)." },
  { name: "API keys", description: "Service keys for integrations (System Admin)." },
  { name: "Webhooks", description: "Subscriptions to the tenant's domain events, signed per Standard Webhooks (System Admin)." },
  { name: "Data protection", description: "The data subject's rights: export and erasure of a person's data." },
  { name: "Audit", description: "The tenant's tamper-evident audit log and its verification." },
  { name: "Documentation", description: "This document and its reference page." },
];

/** Response headers the pipeline sets, referenced from every response that carries them. */
const HEADERS: Json = {
  RequestId: {
    description: `The request's id (yours if you sent a valid \`${REQUEST_ID_HEADER}\`); quote it when reporting a problem.`,
    schema: { type: "string", example: "0b6f2a52-3d4e-4a8c-9f1e-2c7d5e8a9b10" },
  },
  RateLimitLimit: {
    description: "Requests allowed in the current window of the limit closest to running out.",
    schema: { type: "integer", example: 100 },
  },
  RateLimitRemaining: { description: "Requests left in that window.", schema: { type: "integer", example: 97 } },
  RateLimitReset: { description: "Seconds until that window resets.", schema: { type: "integer", example: 42 } },
  RetryAfter: {
    description: "Seconds to wait before retrying (send the same Idempotency-Key again for writes).",
    schema: { type: "integer", example: 5 },
  },
  IdempotentReplayed: {
    description: "`true` when this is the stored answer of an earlier request with the same Idempotency-Key.",
    schema: { type: "string", enum: ["true"] },
  },
};
const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });
const RATE_LIMIT_HEADERS = {
  "RateLimit-Limit": ref("RateLimitLimit"),
  "RateLimit-Remaining": ref("RateLimitRemaining"),
  "RateLimit-Reset": ref("RateLimitReset"),
};

const errorResponse = (codes: ErrorCode[]) => ({
  description: codes.join(" or "),
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const isAnonymouslyLimited = (path: string) =>
  ANONYMOUS_ROUTES.some((route) => (route.endsWith("/*") ? path.startsWith(route.slice(0, -1)) : path === route));

/**
 * What the pipeline does to every request, written into each operation it applies to, so that the document
 * says what the API answers: the request id on every response; rate-limit headers and 429 where a limit
 * counts; 413 and 415 where a body is read; Retry-After on 429 and 503; Idempotent-Replayed on ledger writes;
 * `security: []` on public operations; 500 and 503 on every /v1 operation.
 */
function withPipeline(operation: Json, path: string): void {
  const signedIn = Array.isArray(operation.security) && operation.security.length > 0;
  const limited = signedIn || isAnonymouslyLimited(path);
  operation.responses ??= {};
  const responses: Json = operation.responses;
  const add = (status: number, codes: ErrorCode[]) => {
    responses[status] ??= errorResponse(codes);
  };
  if (!signedIn) operation.security = [];
  if (operation.requestBody) {
    add(413, ["PAYLOAD_TOO_LARGE"]);
    add(415, ["UNSUPPORTED_MEDIA_TYPE"]);
  }
  if (limited) add(429, ["RATE_LIMIT_EXCEEDED"]);
  if (path.startsWith("/v1/")) {
    add(500, ["INTERNAL_ERROR", "CONFIG_INVALID", "DATABASE_ERROR"]);
    add(503, ["SERVICE_UNAVAILABLE"]);
  }
  const idempotent = (operation.parameters ?? []).some((p: Json) => p.in === "header" && p.name === IDEMPOTENCY_KEY_HEADER);
  for (const [status, response] of Object.entries(responses) as [string, Json][]) {
    const headers: Json = { [REQUEST_ID_HEADER]: ref("RequestId"), ...response.headers };
    if (limited && (status.startsWith("2") || status === "429")) Object.assign(headers, RATE_LIMIT_HEADERS);
    if (status === "429" || status === "503") headers["Retry-After"] = ref("RetryAfter");
    if (idempotent && status.startsWith("2")) headers[REPLAYED_HEADER] = ref("IdempotentReplayed");
    response.headers = headers;
  }
}

/** The OpenAPI 3.1 document of `app`: its routes, plus what the pipeline does to each of them. */
export function openApiDocument(app: OpenAPIHono<AppEnv>): Json {
  app.openAPIRegistry.register("Error", ErrorSchema);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token from `POST /v1/auth/login` (15 minutes), or a service API key (`llk_…`).",
  });
  const document = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Leave Ledger API",
      version: pkg.version,
      description: GETTING_STARTED,
    },
    servers: [{ url: "/", description: "The server this document was served from" }],
    tags: TAGS,
  }) as Json;
  // The document's types predate OpenAPI 3.1's SPDX `identifier`.
  document.info.license = { name: "Proprietary", identifier: "LicenseRef-Proprietary" };
  document.components.headers = HEADERS;
  // Webhooks are named by their event type; mounting a router prefixes each name with a slash.
  document.webhooks = Object.fromEntries(Object.entries(document.webhooks ?? {}).map(([name, item]) => [name.replace(/^\//, ""), item]));
  for (const [path, item] of Object.entries(document.paths as Json)) {
    for (const operation of Object.values(item as Json)) withPipeline(operation as Json, path);
  }
  document.components.schemas.Error.description = `The one error shape. Codes: ${Object.keys(ERROR_CODES).join(", ")}. Bodies larger than ${MAX_BODY_BYTES} bytes are refused.`;
  return document;
}
