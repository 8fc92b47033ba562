import { beforeEach, describe, expect, it } from "vitest";
import { DEMO_PASSWORD, DEMO_PIN } from "../../scripts/lib/seed-data";
import { forgetPrincipals } from "../../src/auth/principal";
import { ACCESS_TOKEN_TTL_SECONDS, JWT_CLOCK_SKEW_SECONDS } from "../../src/kernel/constants";
import { authApp } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import {
  captureLogs,
  expectError,
  failingDurableObject,
  failingKv,
  resetDatabase,
  resetEdgeState,
  superuserSql,
  testEnv,
} from "../support/worker/harness";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const auditActions = async () =>
  (await superuserSql()`select action, success, actor_type, target_id from audit_log order by id`) as {
    action: string;
    success: boolean;
    actor_type: string;
    target_id: string | null;
  }[];

describe("login", () => {
  it("issues a 15-minute access token and a refresh token; the access token opens /v1/me", async () => {
    const api = authApp();
    const res = await api.login(people.emma.email);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: ACCESS_TOKEN_TTL_SECONDS, refresh_expires_in: 7 * 24 * 3600 });
    expect(body.refresh_token).toMatch(/^llr_/);
    const me = await api.me(body.access_token);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      user: { id: people.emma.userId, email: people.emma.email },
      roles: ["employee"],
      employee: { id: people.emma.employeeId, manager_id: people.mike.employeeId, time_zone: "Europe/Berlin" },
    });
    expect(me.headers.get("RateLimit-Limit")).toBe("100");
    expect(me.headers.get("RateLimit-Remaining")).toBe("99");
    expect(Number(me.headers.get("RateLimit-Reset"))).toBeGreaterThan(0);
    expect(await auditActions()).toEqual([{ action: "auth.login", success: true, actor_type: "user", target_id: people.emma.userId }]);
  });

  it("accepts the email in any case", async () => {
    expect((await authApp().login(people.emma.email.toUpperCase())).status).toBe(200);
  });

  it("kiosk PIN login works with the right PIN only", async () => {
    const api = authApp();
    const ok = await api.postJson("/v1/auth/pin", { tenant: "acme", employee_number: "A-004", pin: DEMO_PIN });
    expect(ok.status).toBe(200);
    await expectError(await api.postJson("/v1/auth/pin", { tenant: "acme", employee_number: "A-004", pin: "1357" }), 401, "UNAUTHORIZED");
    await expectError(
      await api.postJson("/v1/auth/pin", { tenant: "acme", employee_number: "A-004", pin: "12" }),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("answers a wrong password, an unknown user, an unknown tenant and a deactivated user the same way", async () => {
    await superuserSql()`update users set status = 'deactivated' where id = ${people.eli.userId}`;
    const api = authApp();
    const answers = [];
    for (const [email, password, tenant] of [
      [people.emma.email, "wrong password"],
      ["nobody@acme.example", DEMO_PASSWORD],
      [people.emma.email, DEMO_PASSWORD, "initech"],
      [people.eli.email, DEMO_PASSWORD],
    ] as const) {
      const res = await api.login(email, password, "198.51.100.1", tenant ?? "acme");
      const error = await expectError(res, 401, "UNAUTHORIZED");
      answers.push({ message: error.message, details: error.details, headers: [...res.headers.keys()].sort() });
    }
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    const audit = await auditActions();
    expect(audit.filter((a) => a.action === "auth.login" && !a.success)).toHaveLength(4);
  });
});

describe("lockout", () => {
  async function storm(email: string) {
    const api = authApp();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => api.login(email, "wrong password", `192.0.2.${i + 1}`)));
    return { api, results };
  }

  it.each([
    ["an existing account", people.emma.email],
    ["an identifier nobody has", "ghost@acme.example"],
  ])("20 concurrent wrong passwords for %s from 20 IPs: exactly 5 counted failures, 15 ACCOUNT_LOCKED", async (_, email) => {
    const { api, results } = await storm(email);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    for (const res of results.filter((r) => r.status === 429)) {
      const error = await expectError(res, 429, "ACCOUNT_LOCKED");
      expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect(error.message).not.toMatch(/exist/i);
    }
    const audit = await auditActions();
    expect(audit.filter((a) => a.action === "auth.login" && !a.success)).toHaveLength(5);
    expect(audit.filter((a) => a.action === "auth.lockout")).toHaveLength(1);

    // The right password is refused while locked, and accepted once the lock has run out.
    if (email === people.emma.email) {
      await expectError(await api.login(email, DEMO_PASSWORD, "192.0.2.200"), 429, "ACCOUNT_LOCKED");
      api.clock.advance(15 * 60 * 1000);
      expect((await api.login(email, DEMO_PASSWORD, "192.0.2.200")).status).toBe(200);
    } else {
      await expectError(await api.login(email, DEMO_PASSWORD, "192.0.2.200"), 429, "ACCOUNT_LOCKED");
    }
  });

  it("a success resets the count of consecutive failures", async () => {
    const api = authApp();
    for (let i = 0; i < 4; i++) await api.login(people.emma.email, "wrong", `192.0.2.${i + 1}`);
    expect((await api.login(people.emma.email, DEMO_PASSWORD, "192.0.2.50")).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await api.login(people.emma.email, "wrong", `192.0.2.${i + 10}`)).status).toBe(401);
  });

  it("5 failed logins from one IP (any accounts) refuse that IP; successes do not count", async () => {
    const api = authApp();
    const ip = "198.51.100.77";
    for (let i = 0; i < 3; i++) expect((await api.login(people.mike.email, DEMO_PASSWORD, ip)).status).toBe(200);
    for (const who of [people.emma, people.eli, people.hana, people.sam, people.ada])
      expect((await api.login(who.email, "wrong", ip)).status).toBe(401);
    const res = await api.login(people.mike.email, DEMO_PASSWORD, ip);
    await expectError(res, 429, "RATE_LIMIT_EXCEEDED");
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect((await api.login(people.mike.email, DEMO_PASSWORD, "198.51.100.78")).status).toBe(200);
  });

  it("fails closed: login answers 503 when the limiter cannot be reached", async () => {
    const api = authApp();
    const res = await api.postJson(
      "/v1/auth/login",
      { tenant: "acme", email: people.emma.email, password: DEMO_PASSWORD },
      {},
      { RATE_LIMITER: failingDurableObject() },
    );
    await expectError(res, 503, "SERVICE_UNAVAILABLE");
  });
});

describe("refresh tokens", () => {
  const refreshWith = (api: ReturnType<typeof authApp>, token: string) => api.postJson("/v1/auth/refresh", { refresh_token: token });

  it("rotate on every use; a reused one revokes its whole family", async () => {
    const api = authApp();
    const first = await api.tokens(people.emma.email);
    const second = (await (await refreshWith(api, first.refresh_token)).json()) as { access_token: string; refresh_token: string };
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await api.me(second.access_token)).status).toBe(200);

    await expectError(await refreshWith(api, first.refresh_token), 401, "UNAUTHORIZED"); // reuse
    await expectError(await refreshWith(api, second.refresh_token), 401, "UNAUTHORIZED"); // family revoked
    expect((await auditActions()).map((a) => a.action)).toContain("auth.refresh_reuse");
  });

  it("expire after 7 days", async () => {
    const api = authApp();
    const { refresh_token } = await api.tokens(people.emma.email);
    api.clock.advance(7 * 24 * 3600 * 1000 + 1000);
    await expectError(await refreshWith(api, refresh_token), 401, "UNAUTHORIZED");
  });

  it("logout ends the token's family", async () => {
    const api = authApp();
    const { refresh_token } = await api.tokens(people.emma.email);
    expect((await api.postJson("/v1/auth/logout", { refresh_token })).status).toBe(204);
    await expectError(await refreshWith(api, refresh_token), 401, "UNAUTHORIZED");
    expect((await api.postJson("/v1/auth/logout", { refresh_token: "llr_unknown" })).status).toBe(204);
  });
});

describe("sessions end at once", () => {
  it("logout-all refuses an unexpired access token on its next request and revokes refresh tokens", async () => {
    const api = authApp();
    const phone = await api.tokens(people.emma.email);
    const laptop = await api.tokens(people.emma.email);
    expect((await api.me(phone.access_token)).status).toBe(200);
    api.clock.advance(1000);
    const res = await api.send("/v1/auth/logout-all", { method: "POST", headers: { Authorization: `Bearer ${laptop.access_token}` } });
    expect(res.status).toBe(204);
    for (const token of [phone.access_token, laptop.access_token]) await expectError(await api.me(token), 401, "UNAUTHORIZED");
    await expectError(await api.postJson("/v1/auth/refresh", { refresh_token: phone.refresh_token }), 401, "UNAUTHORIZED");
    api.clock.advance(1000);
    const fresh = await api.tokens(people.emma.email);
    expect((await api.me(fresh.access_token)).status).toBe(200);
  });

  it("a token verified once is remembered byte for byte: an altered copy is checked afresh, and nothing outlives exp", async () => {
    const api = authApp();
    const { access_token } = await api.tokens(people.emma.email);
    expect((await api.me(access_token)).status).toBe(200);
    const last = access_token.at(-2) === "A" ? "B" : "A";
    const altered = `${access_token.slice(0, -2)}${last}${access_token.at(-1)}`;
    expect((await expectError(await api.me(altered), 401, "UNAUTHORIZED")).details.reason).not.toBe("token expired");
    api.clock.advance((ACCESS_TOKEN_TTL_SECONDS - 1) * 1000);
    expect((await api.me(access_token)).status).toBe(200);
    api.clock.advance((1 + JWT_CLOCK_SKEW_SECONDS + 1) * 1000);
    expect((await expectError(await api.me(access_token), 401, "UNAUTHORIZED")).details).toEqual({ reason: "token expired" });
  });

  it("another user's sessions are untouched", async () => {
    const api = authApp();
    const emma = await api.tokens(people.emma.email);
    const mike = await api.tokens(people.mike.email);
    api.clock.advance(1000);
    await api.send("/v1/auth/logout-all", { method: "POST", headers: { Authorization: `Bearer ${emma.access_token}` } });
    expect((await api.me(mike.access_token)).status).toBe(200);
  });
});

describe("rate limits and degraded dependencies", () => {
  it("per user: the request over the limit gets 429 with Retry-After and RateLimit headers", async () => {
    const api = authApp();
    const { access_token } = await api.tokens(people.emma.email);
    const limits = { RATE_LIMIT_USER_PER_MINUTE: "3" };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await api.me(access_token, {}, limits));
    expect(statuses.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    const refused = statuses[3]!;
    expect(refused.headers.get("RateLimit-Remaining")).toBe("0");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    await expectError(refused, 429, "RATE_LIMIT_EXCEEDED");
  });

  it("200 concurrent requests of one user against a limit of 100: exactly 100 pass, and the object counts 100", async () => {
    const api = authApp();
    const { access_token } = await api.tokens(people.emma.email);
    const results = await Promise.all(
      Array.from({ length: 200 }, () => api.send("/v1/me/permissions", { headers: { Authorization: `Bearer ${access_token}` } })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(100);
    const limiter = testEnv.RATE_LIMITER.get(testEnv.RATE_LIMITER.idFromName(`user:${people.emma.userId}`));
    expect((await limiter.counts(api.clock.nowMs)).find((c) => c.windowSeconds === 60)?.count).toBe(100);
  });

  it("without the Durable Object, requests are served from Postgres (not rate-limited, logged)", async () => {
    const api = authApp();
    const { access_token } = await api.tokens(people.emma.email);
    let res!: Response;
    const logs = await captureLogs(async () => {
      res = await api.me(access_token, {}, { RATE_LIMITER: failingDurableObject() });
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Limit")).toBeNull();
    expect(logs.find((l) => l.event === "rate_limiter_unavailable")?.request_id).toBe(res.headers.get("X-Request-Id"));
    expect(logs.find((l) => l.event === "request")?.permission_cache).toBe("bypass");
  });

  it("without the Durable Object, a session ended by logout-all is still refused (Postgres has the version)", async () => {
    const api = authApp();
    const old = await api.tokens(people.emma.email);
    api.clock.advance(1000);
    await api.send("/v1/auth/logout-all", { method: "POST", headers: { Authorization: `Bearer ${old.access_token}` } });
    await expectError(await api.me(old.access_token, {}, { RATE_LIMITER: failingDurableObject() }), 401, "UNAUTHORIZED");
  });

  it("without KV, permissions come from Postgres and the answer is the same", async () => {
    const api = authApp();
    const { access_token } = await api.tokens(people.mike.email);
    forgetPrincipals();
    const res = await api.me(access_token, {}, { PERMISSIONS_KV: failingKv() });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).roles).toEqual(["employee", "manager"]);
  });

  it("the permission cache serves the second request from memory, and another isolate from KV", async () => {
    const api = authApp();
    const { access_token } = await api.tokens(people.emma.email);
    const logs = await captureLogs(async () => {
      await api.me(access_token);
      await api.me(access_token);
      forgetPrincipals(); // as a fresh isolate would be
      await api.me(access_token);
    });
    expect(logs.filter((l) => l.event === "request").map((l) => l.permission_cache)).toEqual(["miss", "memory", "kv"]);
    const [cached] = (await testEnv.PERMISSIONS_KV.list({ prefix: `perm:${people.emma.userId}:` })).keys;
    expect(cached?.name).toBe(`perm:${people.emma.userId}:0`);
  });
});

describe("identity comes only from the token", () => {
  it("X-User-Id, X-Tenant-Id and X-Role are ignored and logged as a security event", async () => {
    const api = authApp();
    const { access_token } = await api.tokens(people.emma.email);
    let res!: Response;
    const logs = await captureLogs(async () => {
      res = await api.me(access_token, {
        "X-User-Id": people.sam.userId,
        "X-Tenant-Id": "00000000-0000-4000-8200-000000000001",
        "X-Role": "system_admin",
      });
    });
    expect(((await res.json()) as any).user.id).toBe(people.emma.userId);
    const event = logs.find((l) => l.event === "security_event");
    expect(event).toMatchObject({
      kind: "identity_header_ignored",
      headers: ["x-user-id", "x-tenant-id", "x-role"],
      request_id: res.headers.get("X-Request-Id"),
    });
  });

  it("no token, or not a bearer token → 401 with WWW-Authenticate", async () => {
    const api = authApp();
    for (const headers of [{}, { Authorization: "Basic dXNlcjpwdw==" }, { Authorization: "Bearer" }] as Record<string, string>[]) {
      const res = await api.send("/v1/me", { headers });
      expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
      await expectError(res, 401, "UNAUTHORIZED");
    }
  });
});

describe("the audit log", () => {
  it("refuses UPDATE, DELETE and TRUNCATE for the app role (and, by trigger, for its owner)", async () => {
    await authApp().login(people.emma.email);
    const su = superuserSql();
    for (const statement of ["update audit_log set success = false", "delete from audit_log", "truncate audit_log"]) {
      await expect(su.transaction([su.query("set local role leave_ledger_app"), su.query(statement)]), statement).rejects.toMatchObject({
        code: "42501",
      });
      await expect(su.query(statement), `${statement} as superuser`).rejects.toMatchObject({ code: "42501" });
    }
    expect(await auditActions()).toHaveLength(1);
  });
});
