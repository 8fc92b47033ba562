import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import pkg from "../../../package.json";
import type { AppEnv } from "../../kernel/context";
import { ErrorSchema } from "../../kernel/openapi";
import { renderReferencePage } from "./reference-page";

const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const openApiRoute = createRoute({
  method: "get",
  path: "/v1/openapi.json",
  tags: ["Documentation"],
  summary: "This OpenAPI 3.1 document",
  responses: { 200: { description: "OpenAPI document", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } } },
});

const docsRoute = createRoute({
  method: "get",
  path: "/docs",
  tags: ["Documentation"],
  summary: "Readable reference page for this API (self-contained HTML)",
  responses: { 200: { description: "HTML page", content: { "text/html": { schema: z.string() } } } },
});

/** Registers the document and its page on the app itself, since the document describes the whole app. */
export function registerDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.register("Error", ErrorSchema);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  let document: Record<string, unknown> | undefined;
  const getDocument = () => {
    document ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Leave Ledger API",
        version: pkg.version,
        description: "Time-off balances as an immutable ledger. JSON only; every error uses the Error schema.",
      },
    }) as unknown as Record<string, unknown>;
    return document;
  };
  app.openapi(openApiRoute, (c) => c.json(getDocument(), 200));
  app.openapi(docsRoute, async (c) => {
    c.header("Content-Security-Policy", DOCS_CSP);
    return c.html(await renderReferencePage(getDocument()), 200);
  });
}
