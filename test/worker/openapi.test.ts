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

describe("GET /docs", () => {
  it("serves a self-contained reference page: every route, every error code, nothing from elsewhere", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = res.headers.get("Content-Security-Policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'unsafe-inline'"); // the page's own styles, nothing else
    expect(csp).not.toMatch(/script-src|https?:/);
    const page = await res.text();
    for (const path of ["/health/ready", "/v1/tenants/{slug}"]) expect(page).toContain(path);
    for (const code of ERROR_CODE_NAMES) expect(page).toContain(`id="errors-${code}"`);
    expect(page).not.toMatch(/<script|<link|src=["']https?:|@import/i);
  });
});
