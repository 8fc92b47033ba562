import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { authApp } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { BASE_URL, expectError, harbor, resetDatabase, resetEdgeState, testEnv } from "../support/worker/harness";
import { createProbeApp } from "../support/worker/probe-app";

const app = createProbeApp();
const SECRETS = { bearer: "SENTRY-BEARER-SECRET", cookie: "SENTRY-COOKIE-SECRET", query: "SENTRY-QUERY-SECRET" };

async function boom(bindings: Partial<typeof testEnv> = {}) {
  const ctx = createExecutionContext();
  const started = Date.now();
  const res = await app.fetch(
    new Request(`${BASE_URL}/v1/boom?token=${SECRETS.query}&view=list`, {
      headers: { Authorization: `Bearer ${SECRETS.bearer}`, Cookie: `session=${SECRETS.cookie}`, "User-Agent": "sentry-test" },
    }),
    { ...testEnv, ...bindings },
    ctx,
  );
  const responseMs = Date.now() - started;
  return { res, responseMs, ctx };
}

async function eventsFor(requestId: string) {
  return (await harbor.sentryEvents()).filter((e) => e.tags?.request_id === requestId);
}

describe("Sentry reporting", () => {
  beforeEach(() => harbor.sentry({ mode: "ok", clear: true }));
  afterEach(() => harbor.sentry({ mode: "ok" }));

  it("reports an unhandled error with request id and route, scrubbed of credentials", async () => {
    const { res, ctx } = await boom();
    await waitOnExecutionContext(ctx);
    const error = await expectError(res, 500, "INTERNAL_ERROR");
    const events = await eventsFor(error.request_id);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event.tags).toMatchObject({ request_id: error.request_id, route: "/v1/boom" });
    expect(event.exception.values[0].value).toContain("secret internals");
    expect(event.request.method).toBe("GET");
    expect(event.request.headers["user-agent"]).toBe("sentry-test");
    const envelopes = (await harbor.sentryEnvelopes()).join("\n");
    for (const secret of Object.values(SECRETS)) expect(envelopes).not.toContain(secret);
    expect(event.request.data).toBeUndefined();
    expect(event.request.cookies).toBeUndefined();
  });

  it("names the signed-in user of a failed request", async () => {
    await Promise.all([resetDatabase(), resetEdgeState()]);
    const { access_token } = await authApp().tokens(people.emma.email);
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`${BASE_URL}/v1/boom-signed-in`, { headers: { Authorization: `Bearer ${access_token}` } }),
      testEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const error = await expectError(res, 500, "INTERNAL_ERROR");
    const [event] = await eventsFor(error.request_id);
    expect(event?.user).toEqual({ id: people.emma.userId });
    expect(JSON.stringify(event)).not.toContain(access_token);
  });

  it("does not report client errors", async () => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`${BASE_URL}/v1/nothing`), testEnv, ctx);
    await waitOnExecutionContext(ctx);
    const error = await expectError(res, 404, "RESOURCE_NOT_FOUND");
    expect(await eventsFor(error.request_id)).toEqual([]);
  });

  it("a failing Sentry (HTTP 500) changes nothing in the response", async () => {
    await harbor.sentry({ mode: "fail" });
    const { res, ctx } = await boom();
    await waitOnExecutionContext(ctx);
    const error = await expectError(res, 500, "INTERNAL_ERROR");
    expect(await eventsFor(error.request_id)).toHaveLength(1); // it was attempted
  });

  it("a hanging Sentry does not delay the response: sending happens in waitUntil", async () => {
    await harbor.sentry({ mode: "hang" });
    const { res, responseMs } = await boom();
    await expectError(res, 500, "INTERNAL_ERROR");
    expect(responseMs).toBeLessThan(1_000);
  });

  it("an unreachable Sentry changes nothing in the response", async () => {
    const { res, ctx } = await boom({ SENTRY_DSN: "http://public@127.0.0.1:9/1" });
    await waitOnExecutionContext(ctx);
    await expectError(res, 500, "INTERNAL_ERROR");
  });
});
