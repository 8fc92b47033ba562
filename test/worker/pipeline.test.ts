import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/kernel/constants";
import { TEST_ALLOWED_ORIGIN } from "../support/test-constants";
import { call, callApp, captureLogs, expectError } from "../support/worker/harness";
import { createProbeApp } from "../support/worker/probe-app";

const app = createProbeApp();
const post = (body: BodyInit | null, headers: Record<string, string> = { "Content-Type": "application/json" }) =>
  callApp(app, "/v1/probe", { method: "POST", body, headers });

describe("request id", () => {
  it("generates one when none is sent and echoes it", async () => {
    const res = await call("/health");
    expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("accepts a well-formed incoming id", async () => {
    const res = await call("/health", { headers: { "X-Request-Id": "client-req_42=" } });
    expect(res.headers.get("X-Request-Id")).toBe("client-req_42=");
  });

  it.each([["has spaces and <html>"], ["x".repeat(129)], ["semi;colon"]])("replaces a malformed id (%s)", async (id) => {
    const res = await call("/health", { headers: { "X-Request-Id": id } });
    const echoed = res.headers.get("X-Request-Id");
    expect(echoed).not.toBe(id);
    expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("W3C trace context", () => {
  const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  it("continues the caller's trace with a new span", async () => {
    const res = await call("/health", { headers: { traceparent: incoming } });
    const [version, traceId, spanId, flags] = res.headers.get("traceparent")!.split("-");
    expect([version, traceId, flags]).toEqual(["00", "4bf92f3577b34da6a3ce929d0e0e4736", "01"]);
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanId).not.toBe("00f067aa0ba902b7");
  });

  it.each([
    ["garbage"],
    ["00-00000000000000000000000000000000-00f067aa0ba902b7-01"],
    ["01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"],
  ])("starts a new trace for an invalid header (%s)", async (header) => {
    const res = await call("/health", { headers: { traceparent: header } });
    const traceId = res.headers.get("traceparent")!.split("-")[1];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(traceId).not.toMatch(/^0+$/);
  });
});

describe("access log", () => {
  it("writes one JSON line per request with method, route pattern, status, duration and ids", async () => {
    let res!: Response;
    const logs = await captureLogs(async () => {
      res = await call("/v1/tenants/acme", { headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } });
    });
    const lines = logs.filter((l) => l.event === "request");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      method: "GET",
      route: "/v1/tenants/:slug",
      status: 200,
      request_id: res.headers.get("X-Request-Id"),
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
    });
    expect(typeof lines[0]!.duration_ms).toBe("number");
  });

  it("never writes Authorization, cookies or tokens", async () => {
    const secrets = ["Bearer-SECRET-TOKEN-123", "SECRET-COOKIE-456", "SECRET-QUERY-789", "SECRET-BODY-000"];
    const logs = await captureLogs(async () => {
      await callApp(app, `/v1/probe?access_token=${secrets[2]}&page=2`, {
        method: "POST",
        headers: { Authorization: `Bearer ${secrets[0]}`, Cookie: `session=${secrets[1]}`, "Content-Type": "application/json" },
        body: JSON.stringify({ name: secrets[3], days: -1 }),
      });
      await callApp(app, `/v1/boom?token=${secrets[2]}`, {
        headers: { Authorization: `Bearer ${secrets[0]}`, Cookie: `session=${secrets[1]}` },
      });
    });
    const text = JSON.stringify(logs);
    expect(logs.filter((l) => l.event === "request")).toHaveLength(2);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).toContain("page=2");
  });
});

describe("CORS", () => {
  it("answers a preflight from an allowed origin", async () => {
    const res = await call("/v1/tenants/acme", {
      method: "OPTIONS",
      headers: { Origin: TEST_ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(TEST_ALLOWED_ORIGIN);
    expect(res.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("authorization");
  });

  it("grants an allowed origin on a plain request, and says once that the answer varies by Origin", async () => {
    const res = await call("/v1/tenants/acme", { headers: { Origin: TEST_ALLOWED_ORIGIN } });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(TEST_ALLOWED_ORIGIN);
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("X-Request-Id");
    expect(res.headers.get("Vary")).toBe("Origin");
  });

  it("answers OPTIONS without an Origin as before: 204", async () => {
    expect((await call("/v1/tenants/acme", { method: "OPTIONS" })).status).toBe(204);
  });

  it("sends no CORS headers without an Origin, but still says the answer varies by it", async () => {
    for (const path of ["/v1/tenants/acme", "/no-such-route"]) {
      const res = await call(path);
      expect(
        [...res.headers.keys()].filter((name) => name.startsWith("access-control-")),
        path,
      ).toEqual([]);
      expect(res.headers.get("Vary"), path).toBe("Origin");
    }
  });

  it("gives an origin outside the allow-list no CORS grant", async () => {
    for (const method of ["OPTIONS", "GET"]) {
      const res = await call("/v1/tenants/acme", {
        method,
        headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "GET" },
      });
      expect(res.headers.get("Access-Control-Allow-Origin"), method).toBeNull();
    }
  });
});

describe("security headers", () => {
  it("are set on API responses, errors included", async () => {
    const answers = [
      ["/health", await call("/health")],
      ["/no-such-route", await call("/no-such-route")],
      ["/v1/me without a token", await call("/v1/me")],
      ["a route that throws", await callApp(app, "/v1/boom")],
    ] as const;
    expect(answers.map(([, res]) => res.status)).toEqual([200, 404, 401, 500]);
    for (const [path, res] of answers) {
      expect(res.headers.get("X-Request-Id"), path).toBeTruthy();
      expect(res.headers.get("traceparent"), path).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      expect(res.headers.get("X-Content-Type-Options"), path).toBe("nosniff");
      expect(res.headers.get("Content-Security-Policy"), path).toContain("default-src 'none'");
      expect(res.headers.get("Strict-Transport-Security"), path).toContain("max-age=");
      expect(res.headers.get("X-Frame-Options"), path).toBeTruthy();
      expect(res.headers.get("Referrer-Policy"), path).toBe("no-referrer");
    }
  });
});

describe("errors in one shape", () => {
  it("unknown route → 404 RESOURCE_NOT_FOUND", async () => {
    const error = await expectError(await call("/v1/nothing-here"), 404, "RESOURCE_NOT_FOUND");
    expect(error.message).toContain("/v1/nothing-here");
  });

  it("wrong method → 405 METHOD_NOT_ALLOWED with Allow", async () => {
    const res = await call("/v1/tenants/acme", { method: "DELETE" });
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
    const error = await expectError(res, 405, "METHOD_NOT_ALLOWED");
    expect(error.details.allowed).toEqual(["GET", "HEAD"]);
  });

  it("malformed JSON → 400 INVALID_INPUT", async () => {
    await expectError(await post('{"name": "x", "days": '), 400, "INVALID_INPUT");
  });

  it.each([["text/plain"], ["application/x-www-form-urlencoded"], ["multipart/form-data; boundary=x"]])(
    "body with content type %s → 415 UNSUPPORTED_MEDIA_TYPE",
    async (type) => {
      await expectError(await post('{"name":"x","days":1}', { "Content-Type": type }), 415, "UNSUPPORTED_MEDIA_TYPE");
    },
  );

  it("body without a content type → 415", async () => {
    await expectError(await post(new Blob(['{"name":"x","days":1}']), {}), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("accepts application/json with a charset and +json types", async () => {
    for (const type of ["application/json; charset=utf-8", "application/merge-patch+json"]) {
      const res = await post('{"name":"x","days":1}', { "Content-Type": type });
      expect(res.status, type).toBe(200);
    }
  });

  it("oversized body (Content-Length) → 413 PAYLOAD_TOO_LARGE", async () => {
    const big = JSON.stringify({ name: "x".repeat(MAX_BODY_BYTES), days: 1 });
    const error = await expectError(await post(big), 413, "PAYLOAD_TOO_LARGE");
    expect(error.details.limit_bytes).toBe(MAX_BODY_BYTES);
  });

  it("oversized streamed body (no Content-Length) → 413 PAYLOAD_TOO_LARGE", async () => {
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES + chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    await expectError(await post(stream), 413, "PAYLOAD_TOO_LARGE");
  });

  it("a body just under the limit is accepted", async () => {
    const body = JSON.stringify({ name: "x".repeat(MAX_BODY_BYTES - 100), days: 1 });
    expect((await post(body)).status).toBe(200);
  });

  it("schema violations → 400 VALIDATION_FAILED with one issue per field", async () => {
    const error = await expectError(await post(JSON.stringify({ name: "", days: 1.5, extra: true })), 400, "VALIDATION_FAILED");
    const issues = error.details.issues as { path: string; message: string }[];
    expect(issues.map((i) => i.path).sort()).toEqual(["days", "name"]);
    for (const issue of issues) expect(issue.message).toMatch(/.+/);
  });

  it("a JSON body of the wrong type → 400 VALIDATION_FAILED", async () => {
    const error = await expectError(await post("[1,2,3]"), 400, "VALIDATION_FAILED");
    expect((error.details.issues as unknown[]).length).toBeGreaterThan(0);
  });

  it("an uncaught exception → 500 INTERNAL_ERROR with no internals, logged with the request id", async () => {
    let res!: Response;
    const logs = await captureLogs(async () => {
      res = await callApp(app, "/v1/boom");
    });
    const raw = await res.clone().text();
    const error = await expectError(res, 500, "INTERNAL_ERROR");
    expect(error.message).toBe("Internal error");
    expect(error.details).toEqual({});
    expect(raw).not.toMatch(/hunter2|secret internals|db\.internal|at .*\.ts/);
    const failure = logs.find((l) => l.event === "request_failed");
    expect(failure).toMatchObject({ request_id: error.request_id, route: "/v1/boom", code: "INTERNAL_ERROR" });
  });

  it("HEAD of a GET route works and an unknown method on a known path is 405", async () => {
    expect((await call("/health", { method: "HEAD" })).status).toBe(200);
    await expectError(
      await call("/health", { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } }),
      405,
      "METHOD_NOT_ALLOWED",
    );
  });
});
