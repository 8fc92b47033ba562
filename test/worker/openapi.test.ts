import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { TENANT_SLUG_PATTERN } from "../../src/db/schema";
import { ERROR_CODE_NAMES } from "../../src/kernel/errors";
import { call } from "../support/worker/harness";

describe("GET /v1/openapi.json", () => {
  it("documents every route with schemas generated from the validators", async () => {
    const res = await call("/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.openapi).toBe("3.1.0");
    const routes = createApp().routes.filter((r) => r.method !== "ALL");
    expect(routes.length).toBeGreaterThan(8);
    for (const route of routes) {
      const path = route.path.replace(/:(\w+)/g, "{$1}");
      expect(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${path} is documented`).toBeDefined();
    }
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.paths["/v1/me"].get.security).toEqual([{ bearer: [] }]);
    const slug = doc.paths["/v1/tenants/{slug}"].get.parameters.find((p: any) => p.name === "slug");
    expect(slug.schema.pattern).toBe(TENANT_SLUG_PATTERN.source);
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual(ERROR_CODE_NAMES);
    expect(doc.paths["/v1/tenants/{slug}"].get.responses["404"].content["application/json"].schema.$ref).toBe("#/components/schemas/Error");
    expect(doc.paths["/health/ready"].get.responses["503"]).toBeDefined();
  });
});

describe("the contract a client developer reads", () => {
  it("every operation has an operationId, a short summary, a description, and examples of its JSON bodies and 2xx answers", async () => {
    const doc = (await (await call("/v1/openapi.json")).json()) as any;
    const missing: string[] = [];
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (!op.operationId || ids.has(op.operationId)) missing.push(`${name}: operationId`);
        ids.add(op.operationId);
        if (!op.summary || op.summary.length > 60) missing.push(`${name}: summary of at most 60 characters`);
        if (!op.description) missing.push(`${name}: description`);
        if (op.requestBody?.content?.["application/json"] && op.requestBody.content["application/json"].example === undefined) {
          missing.push(`${name}: request body example`);
        }
        for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
          const json = response.content?.["application/json"];
          if (status.startsWith("2") && json && json.example === undefined && path !== "/v1/openapi.json")
            missing.push(`${name} ${status}: example`);
          if (!response.headers?.["X-Request-Id"]) missing.push(`${name} ${status}: X-Request-Id header`);
        }
        if (op.requestBody && !(op.responses["413"] && op.responses["415"])) missing.push(`${name}: 413 and 415`);
        if (op.security?.length && !(op.responses["401"] && op.responses["429"])) missing.push(`${name}: 401 and 429`);
      }
    }
    expect(missing).toEqual([]);
    expect(doc.servers).toEqual([{ url: "/", description: expect.any(String) }]);
    expect(doc.paths["/health"].get.security).toEqual([]);
  });
});

describe("GET /docs", () => {
  it("serves the reference page: scripts of this origin only, under a CSP that allows nothing else", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = res.headers.get("Content-Security-Policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:|\*/);
    const page = await res.text();
    const scripts = [...page.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(["/docs/assets/scalar.js", "/docs/assets/reference.js"]);
    expect(page).not.toMatch(/<link|https?:\/\/|@import/i);
    // wrangler serves the scripts as static assets; test/node/api-contract.test.ts loads the page in a browser.
  });
});
