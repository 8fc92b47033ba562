import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../kernel/context";
import { openApiDocument } from "./document";

/**
 * The reference page: Scalar's API reference for this document. Its scripts are the Worker's own static
 * assets (public/docs/assets); the page loads nothing from elsewhere, and its try-it calls this origin.
 */
const REFERENCE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Leave Ledger API reference</title>
</head>
<body>
<div id="app"></div>
<script src="/docs/assets/scalar.js"></script>
<script src="/docs/assets/reference.js"></script>
</body>
</html>`;

// Scalar injects its styles at run time ('unsafe-inline' styles); scripts, data and fonts come from here only.
const REFERENCE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const openApiRoute = createRoute({
  method: "get",
  path: "/v1/openapi.json",
  operationId: "getOpenApiDocument",
  tags: ["Documentation"],
  summary: "Get this OpenAPI document",
  description: "The OpenAPI 3.1 document of this API, generated from the schemas that validate its requests.",
  responses: {
    200: { description: "The OpenAPI document", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } },
  },
});

const docsRoute = createRoute({
  method: "get",
  path: "/docs",
  operationId: "getApiReference",
  tags: ["Documentation"],
  summary: "Read the API reference",
  description: "This document as a searchable reference with a getting-started guide, examples and try-it, served offline.",
  responses: { 200: { description: "The reference page", content: { "text/html": { schema: z.string() } } } },
});

/** Registers the document and its page on the app itself, since the document describes the whole app. */
export function registerDocs(app: OpenAPIHono<AppEnv>): void {
  let document: Record<string, unknown> | undefined;
  app.openapi(openApiRoute, (c) => {
    document ??= openApiDocument(app);
    return c.json(document, 200);
  });
  app.openapi(docsRoute, (c) => {
    c.header("Content-Security-Policy", REFERENCE_CSP);
    return c.html(REFERENCE_PAGE, 200);
  });
}
