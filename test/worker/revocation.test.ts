import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { ACME, DEMO_PASSWORD } from "../../scripts/lib/seed-data";
import { systemCaller } from "../../src/db/claims";
import { runInDatabase } from "../../src/db/door";
import { AUTH_CACHE_MAX_AGE_MS } from "../../src/kernel/constants";
import { ExpiringCache } from "../../src/kernel/expiring-cache";
import { authApp } from "../support/worker/auth";
import { dbConfig, people } from "../support/worker/callers";
import { expectError, injectedFailure, interceptRaises, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
type Tokens = { access_token: string; refresh_token: string };
type Api = ReturnType<typeof authApp>;

const permissionsOf = async (api: Api, token: string) => {
  const res = await api.send("/v1/me/permissions", { headers: bearer(token) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { permissions: string[] }).permissions;
};
const rolesInDatabase = async (userId: string) =>
  ((await superuserSql()`select role::text from role_assignments where user_id = ${userId} order by role`) as { role: string }[]).map(
    (r) => r.role,
  );
const addRole = (api: Api, admin: Tokens, userId: string, role: string, bindings = {}) =>
  api.send(
    `/v1/users/${userId}/roles`,
    { method: "POST", headers: { ...bearer(admin.access_token), "Content-Type": "application/json" }, body: JSON.stringify({ role }) },
    bindings,
  );

/** A rate-limiter binding that runs `meanwhile` right after the first version raise, before the commit. */
const afterFirstRaise = (meanwhile: () => Promise<unknown>) =>
  interceptRaises(async (call, raise) => {
    const raised = await raise();
    if (call === 1) await meanwhile();
    return raised;
  });

describe("role changes fail closed", () => {
  it("if the version cannot be raised first, the answer is 503 and nothing changes", async () => {
    const api = authApp();
    const sam = await api.tokens(people.sam.email);
    const before = await rolesInDatabase(people.eli.userId);
    const res = await addRole(api, sam, people.eli.userId, "manager", { RATE_LIMITER: interceptRaises(() => injectedFailure()) });
    await expectError(res, 503, "SERVICE_UNAVAILABLE");
    expect(await rolesInDatabase(people.eli.userId)).toEqual(before);
  });

  it("if the raise after the commit fails, the answer is 503; repeating the request finishes it", async () => {
    const api = authApp();
    const [sam, eli] = [await api.tokens(people.sam.email), await api.tokens(people.eli.email)];
    expect(await permissionsOf(api, eli.access_token)).not.toContain("request:approve:reports");
    const secondFails = interceptRaises((call, raise) => (call === 2 ? injectedFailure() : raise()));
    const res = await addRole(api, sam, people.eli.userId, "manager", { RATE_LIMITER: secondFails });
    await expectError(res, 503, "SERVICE_UNAVAILABLE");
    expect(secondFails.raises).toBe(2);
    expect(await rolesInDatabase(people.eli.userId)).toContain("manager");

    const retry = await addRole(api, sam, people.eli.userId, "manager");
    expect(retry.status).toBe(200);
    expect(await permissionsOf(api, eli.access_token)).toContain("request:approve:reports");
  });

  it("roles a request cached between the first raise and the commit are never used", async () => {
    const api = authApp();
    const [sam, eli] = [await api.tokens(people.sam.email), await api.tokens(people.eli.email)];
    let cachedInBetween: string[] = [];
    const meanwhile = afterFirstRaise(async () => {
      cachedInBetween = await permissionsOf(api, eli.access_token);
    });
    expect((await addRole(api, sam, people.eli.userId, "manager", { RATE_LIMITER: meanwhile })).status).toBe(200);
    expect(cachedInBetween).not.toContain("request:approve:reports");
    expect(await permissionsOf(api, eli.access_token)).toContain("request:approve:reports");
  });
});

describe("API key revocation fails closed", () => {
  async function keyOfSam(api: Api) {
    const sam = await api.tokens(people.sam.email);
    const res = await api.postJson("/v1/api-keys", { name: "export", role: "auditor", scopes: ["audit:read"] }, bearer(sam.access_token));
    expect(res.status).toBe(201);
    const key = (await res.json()) as { id: string; key: string };
    expect((await api.send("/v1/audit", { headers: bearer(key.key) })).status).toBe(200); // now cached by this isolate
    return { sam, key };
  }

  it("never answers success while the revoked key still works; a retry after the 503 finishes the revocation", async () => {
    const api = authApp();
    const { sam, key } = await keyOfSam(api);
    const revoke = (bindings = {}) => api.send(`/v1/api-keys/${key.id}`, { method: "DELETE", headers: bearer(sam.access_token) }, bindings);

    await expectError(await revoke({ RATE_LIMITER: interceptRaises(() => injectedFailure()) }), 503, "SERVICE_UNAVAILABLE");
    expect((await api.send("/v1/audit", { headers: bearer(key.key) })).status).toBe(200); // nothing was written

    const secondFails = interceptRaises((call, raise) => (call === 2 ? injectedFailure() : raise()));
    await expectError(await revoke({ RATE_LIMITER: secondFails }), 503, "SERVICE_UNAVAILABLE");
    expect((await revoke()).status).toBe(204);
    await expectError(await api.send("/v1/audit", { headers: bearer(key.key) }), 401, "UNAUTHORIZED");
    expect((await revoke()).status).toBe(204); // still the same answer
    const audit = await superuserSql()`select count(*)::int as n from audit_log where action = 'apikey.revoke'`;
    expect(audit[0]!.n).toBe(1);
  });

  it("a rotation that cannot raise the version first changes nothing", async () => {
    const api = authApp();
    const { sam, key } = await keyOfSam(api);
    const res = await api.send(
      `/v1/api-keys/${key.id}/rotate`,
      { method: "POST", headers: bearer(sam.access_token) },
      { RATE_LIMITER: interceptRaises(() => injectedFailure()) },
    );
    await expectError(res, 503, "SERVICE_UNAVAILABLE");
    expect((await api.send("/v1/audit", { headers: bearer(key.key) })).status).toBe(200);
  });

  it("an isolate's cached key lookup lives at most a minute, even if no version was raised", async () => {
    const api = authApp();
    const { key } = await keyOfSam(api);
    await superuserSql()`update api_keys set revoked_at = now() where id = ${key.id}`; // a raise that never happened
    expect((await api.send("/v1/audit", { headers: bearer(key.key) })).status).toBe(200);
    api.clock.advance(AUTH_CACHE_MAX_AGE_MS + 1);
    await expectError(await api.send("/v1/audit", { headers: bearer(key.key) }), 401, "UNAUTHORIZED");
  });
});

describe("sessions end for good", () => {
  const refresh = (api: Api, token: string) => api.postJson("/v1/auth/refresh", { refresh_token: token });
  /** Tokens issued by `raced` do not work, whether they are used or refreshed. */
  const expectDead = async (api: Api, raced: Response | undefined) => {
    expect(raced?.status).toBe(200);
    const survivor = (await raced!.json()) as Tokens;
    await expectError(await api.me(survivor.access_token), 401, "UNAUTHORIZED");
    await expectError(await refresh(api, survivor.refresh_token), 401, "UNAUTHORIZED");
  };

  it("a refresh between logout-all's first raise and its commit does not survive it", async () => {
    const api = authApp();
    const emma = await api.tokens(people.emma.email);
    let raced: Response | undefined;
    const meanwhile = afterFirstRaise(async () => {
      raced = await refresh(api, emma.refresh_token);
    });
    api.clock.advance(1000);
    const ended = await api.send(
      "/v1/auth/logout-all",
      { method: "POST", headers: bearer(emma.access_token) },
      { RATE_LIMITER: meanwhile },
    );
    expect(ended.status).toBe(204);
    await expectDead(api, raced);
  });

  it("a login with the old password while an admin resets it does not survive the reset", async () => {
    const api = authApp();
    const sam = await api.tokens(people.sam.email);
    let raced: Response | undefined;
    const meanwhile = afterFirstRaise(async () => {
      raced = await api.login(people.emma.email, DEMO_PASSWORD);
    });
    api.clock.advance(1000);
    const reset = await api.postJson(
      `/v1/users/${people.emma.userId}/password`,
      { password: "a brand new passphrase" },
      bearer(sam.access_token),
      { RATE_LIMITER: meanwhile },
    );
    expect(reset.status).toBe(204);
    await expectDead(api, raced);
  });

  it("refreshes racing logout-all: no token issued by a refresh outlives it", async () => {
    const api = authApp();
    for (let attempt = 0; attempt < 12; attempt++) {
      const emma = await api.tokens(people.emma.email);
      api.clock.advance(1000);
      const [refreshed, ended] = await Promise.all([
        refresh(api, emma.refresh_token),
        api.send("/v1/auth/logout-all", { method: "POST", headers: bearer(emma.access_token) }),
      ]);
      expect(ended.status, `attempt ${attempt}`).toBe(204);
      if (refreshed.status === 200) {
        await expectDead(api, refreshed);
      } else {
        await expectError(refreshed, 401, "UNAUTHORIZED");
      }
      api.clock.advance(1000);
    }
  });

  it("a refresh token issued under an older session version is refused, even if not revoked", async () => {
    const api = authApp();
    const emma = await api.tokens(people.emma.email);
    await superuserSql()`update users set session_version = session_version + 1 where id = ${people.emma.userId}`;
    await expectError(await refresh(api, emma.refresh_token), 401, "UNAUTHORIZED");
    const outcome =
      await superuserSql()`select details->>'outcome' as outcome from audit_log where action = 'auth.refresh' order by id desc limit 1`;
    expect(outcome[0]!.outcome).toBe("ended");
  });

  it("no refresh token is issued for a login whose sessions ended after the password was checked", async () => {
    const [user] = (await superuserSql()`select session_version as v from users where id = ${people.emma.userId}`) as [
      { v: number | string },
    ];
    const issue = (version: number) =>
      runInDatabase(dbConfig(), systemCaller("login", ACME.id), (db) => [
        db.execute<{ issued: boolean }>(
          sql`select app.issue_refresh_token(${people.emma.userId}, ${crypto.randomUUID()}, ${crypto.randomUUID()}, now() + interval '1 day', ${version}, false) as issued`,
        ),
      ]);
    expect((await issue(Number(user.v) - 1))[0].rows[0]?.issued).toBe(false);
    expect((await issue(Number(user.v)))[0].rows[0]?.issued).toBe(true);
  });

  it("presenting a used refresh token again ends every session of the user, not only that family", async () => {
    const api = authApp();
    const laptop = await api.tokens(people.emma.email);
    const phone = await api.tokens(people.emma.email);
    const rotated = (await (await refresh(api, laptop.refresh_token)).json()) as Tokens;
    expect((await api.me(rotated.access_token)).status).toBe(200);
    api.clock.advance(1000);

    await expectError(await refresh(api, laptop.refresh_token), 401, "UNAUTHORIZED"); // the replay
    for (const token of [laptop.access_token, rotated.access_token, phone.access_token])
      await expectError(await api.me(token), 401, "UNAUTHORIZED");
    for (const token of [rotated.refresh_token, phone.refresh_token]) await expectError(await refresh(api, token), 401, "UNAUTHORIZED");
    api.clock.advance(1000);
    expect((await api.me((await api.tokens(people.emma.email)).access_token)).status).toBe(200);
  });
});

describe("isolate caches of authorization state", () => {
  it("hold at most their size, least recently used first out", () => {
    const cache = new ExpiringCache<string>(2);
    cache.set("a", "A", 0);
    cache.set("b", "B", 0);
    expect(cache.get("a", 0)).toBe("A");
    cache.set("c", "C", 0);
    expect([cache.get("a", 0), cache.get("b", 0), cache.get("c", 0)]).toEqual(["A", undefined, "C"]);
  });

  it("keep an entry at most a minute, and never past the expiry its caller names", () => {
    const cache = new ExpiringCache<string>(10);
    cache.set("long", "L", 1_000, Number.POSITIVE_INFINITY);
    cache.set("short", "S", 1_000, 11_000);
    expect(cache.get("short", 10_999)).toBe("S");
    expect(cache.get("short", 11_000)).toBeUndefined();
    expect(cache.get("long", 1_000 + AUTH_CACHE_MAX_AGE_MS - 1)).toBe("L");
    expect(cache.get("long", 1_000 + AUTH_CACHE_MAX_AGE_MS)).toBeUndefined();
  });
});
