/**
 * Metrics: one Workers Analytics Engine data point per request, in the layout docs/operations.md queries
 * (route pattern, method, status, error code, why a credential was refused, permission cache, tenant), written
 * through a recording binding in front of the dataset (locally Analytics Engine records nothing). A broken
 * dataset never fails a request.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { ACME } from "../../scripts/lib/seed-data";
import { authApp } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { recordingMetrics, resetDatabase, resetEdgeState } from "../support/worker/harness";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

describe("request metrics", () => {
  it("one data point per request: route pattern, method, status, error code and reason, permission cache, tenant", async () => {
    const api = authApp();
    const { points, METRICS } = recordingMetrics();
    const token = (await api.tokens(people.emma.email)).access_token;

    expect((await api.send("/v1/tenants/acme", {}, { METRICS })).status).toBe(200);
    expect((await api.send("/v1/me/balances", { headers: { Authorization: `Bearer ${token}` } }, { METRICS })).status).toBe(200);
    expect((await api.send("/v1/me", { headers: { Authorization: "Bearer not-a-token" } }, { METRICS })).status).toBe(401);
    expect((await api.send("/v1/nothing-here", {}, { METRICS })).status).toBe(404);
    expect((await api.send("/v1/tenants/acme", { method: "DELETE" }, { METRICS })).status).toBe(405);

    expect(points).toHaveLength(5);
    const [tenant, balances, refused, missing, notAllowed] = points;
    expect(notAllowed!.blobs!.slice(3, 5)).toEqual(["405", "METHOD_NOT_ALLOWED"]);
    expect(tenant).toEqual({
      indexes: ["-"],
      blobs: ["request", "/v1/tenants/:slug", "GET", "200", "", "", ""],
      doubles: [expect.any(Number), 200, 1, 0],
    });
    expect(balances!.indexes).toEqual([ACME.id]);
    expect(balances!.blobs!.slice(0, 5)).toEqual(["request", "/v1/me/balances", "GET", "200", ""]);
    expect(["memory", "kv", "miss"]).toContain(balances!.blobs![6]);
    expect(refused!.blobs!.slice(1, 5)).toEqual(["/v1/me", "GET", "401", "UNAUTHORIZED"]);
    expect(refused!.blobs![5]).not.toBe("");
    expect(missing!.blobs!.slice(1, 5)).toEqual(["(unmatched)", "GET", "404", "RESOURCE_NOT_FOUND"]);
    for (const point of points) expect(point.doubles![0]).toBeGreaterThanOrEqual(0);
  });

  it("lockouts and refused logins are counted by their codes", async () => {
    const api = authApp();
    const { points, METRICS } = recordingMetrics();
    const bindings = { METRICS, LOCKOUT_THRESHOLD: "2" };
    const attempt = (ip: string) =>
      api.postJson(
        "/v1/auth/login",
        { tenant: "acme", email: people.eli.email, password: "wrong password!" },
        { "CF-Connecting-IP": ip },
        bindings,
      );
    const statuses = [];
    for (const ip of ["198.51.100.21", "198.51.100.22", "198.51.100.23"]) statuses.push((await attempt(ip)).status);
    expect(statuses).toEqual([401, 401, 429]);
    expect(points.map((p) => [p.blobs![1], p.blobs![3], p.blobs![4]])).toEqual([
      ["/v1/auth/login", "401", "UNAUTHORIZED"],
      ["/v1/auth/login", "401", "UNAUTHORIZED"],
      ["/v1/auth/login", "429", "ACCOUNT_LOCKED"],
    ]);
  });

  it("a failing dataset does not fail the request", async () => {
    const api = authApp();
    const METRICS = {
      writeDataPoint: () => {
        throw new Error("analytics engine down");
      },
    } as AnalyticsEngineDataset;
    expect((await api.send("/v1/tenants/acme", {}, { METRICS })).status).toBe(200);
  });
});
