import { beforeEach, describe, expect, it } from "vitest";
import { DEMO_PASSWORD } from "../../scripts/lib/seed-data";
import { authApp } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe("role changes take effect on the very next request", () => {
  it("a removed role is refused at once, although the old permissions were cached", async () => {
    const api = authApp();
    const hana = await api.tokens(people.hana.email);
    const sam = await api.tokens(people.sam.email);
    expect((await api.send("/v1/audit", { headers: bearer(hana.access_token) })).status).toBe(200);
    expect((await api.send("/v1/audit", { headers: bearer(hana.access_token) })).status).toBe(200); // served from the cache

    const removed = await api.send(`/v1/users/${people.hana.userId}/roles/hr_admin`, { method: "DELETE", headers: bearer(sam.access_token) });
    expect(await removed.json()).toEqual({ user_id: people.hana.userId, role: "hr_admin", changed: true });

    const next = await api.send("/v1/audit", { headers: bearer(hana.access_token) });
    const error = await expectError(next, 403, "FORBIDDEN");
    expect(error.details.permission).toBe("audit:read");
  });

  it("a granted role works at once", async () => {
    const api = authApp();
    const emma = await api.tokens(people.emma.email);
    const hana = await api.tokens(people.hana.email);
    await expectError(await api.send("/v1/audit", { headers: bearer(emma.access_token) }), 403, "FORBIDDEN");
    const granted = await api.postJson(`/v1/users/${people.emma.userId}/roles`, { role: "auditor" }, bearer(hana.access_token));
    expect(granted.status).toBe(200);
    expect((await api.send("/v1/audit", { headers: bearer(emma.access_token) })).status).toBe(200);
  });

  it("HR Admin cannot grant System Admin; a System Admin can; the database refuses it too", async () => {
    const api = authApp();
    const hana = await api.tokens(people.hana.email);
    const sam = await api.tokens(people.sam.email);
    await expectError(await api.postJson(`/v1/users/${people.hana.userId}/roles`, { role: "system_admin" }, bearer(hana.access_token)), 403, "FORBIDDEN");
    expect((await api.postJson(`/v1/users/${people.hana.userId}/roles`, { role: "system_admin" }, bearer(sam.access_token))).status).toBe(200);
  });

  it("employees and auditors cannot change roles; another tenant's user is not found", async () => {
    const api = authApp();
    for (const who of [people.emma, people.ada]) {
      const { access_token } = await api.tokens(who.email);
      await expectError(await api.postJson(`/v1/users/${people.eli.userId}/roles`, { role: "manager" }, bearer(access_token)), 403, "FORBIDDEN");
    }
    const gina = await api.tokens(people.gina.email, "globex");
    await expectError(await api.postJson(`/v1/users/${people.emma.userId}/roles`, { role: "manager" }, bearer(gina.access_token)), 404, "RESOURCE_NOT_FOUND");
    const roles = await superuserSql()`select role from role_assignments where user_id = ${people.emma.userId}`;
    expect(roles.map((r) => r.role)).toEqual(["employee"]);
  });

  it("role changes are audited", async () => {
    const api = authApp();
    const sam = await api.tokens(people.sam.email);
    await api.postJson(`/v1/users/${people.eli.userId}/roles`, { role: "manager" }, bearer(sam.access_token));
    await api.send(`/v1/users/${people.eli.userId}/roles/manager`, { method: "DELETE", headers: bearer(sam.access_token) });
    const audit = await superuserSql()`select action, actor_id, target_id, details from audit_log where action like 'role.%' order by id`;
    expect(audit).toEqual([
      { action: "role.assign", actor_id: people.sam.userId, target_id: people.eli.userId, details: { role: "manager" } },
      { action: "role.remove", actor_id: people.sam.userId, target_id: people.eli.userId, details: { role: "manager" } },
    ]);
  });
});

describe("deactivation", () => {
  it("ends every session at once: access token refused on its next request, refresh and login refused", async () => {
    const api = authApp();
    const emma = await api.tokens(people.emma.email);
    const hana = await api.tokens(people.hana.email);
    expect((await api.me(emma.access_token)).status).toBe(200);
    api.clock.advance(1000);
    expect((await api.send(`/v1/users/${people.emma.userId}/deactivate`, { method: "POST", headers: bearer(hana.access_token) })).status).toBe(204);
    await expectError(await api.me(emma.access_token), 401, "UNAUTHORIZED");
    await expectError(await api.postJson("/v1/auth/refresh", { refresh_token: emma.refresh_token }), 401, "UNAUTHORIZED");
    await expectError(await api.login(people.emma.email), 401, "UNAUTHORIZED");
    const [user] = (await superuserSql()`select status from users where id = ${people.emma.userId}`) as [{ status: string }];
    expect(user.status).toBe("deactivated");
  });

  it("is only for HR Admin and System Admin, within their tenant", async () => {
    const api = authApp();
    const mike = await api.tokens(people.mike.email);
    await expectError(await api.send(`/v1/users/${people.emma.userId}/deactivate`, { method: "POST", headers: bearer(mike.access_token) }), 403, "FORBIDDEN");
    const gina = await api.tokens(people.gina.email, "globex");
    await expectError(await api.send(`/v1/users/${people.emma.userId}/deactivate`, { method: "POST", headers: bearer(gina.access_token) }), 404, "RESOURCE_NOT_FOUND");
    expect((await api.me((await api.tokens(people.emma.email)).access_token)).status).toBe(200);
  });
});

describe("unlock", () => {
  it("a System Admin ends a lockout (audited); an HR Admin may not", async () => {
    const api = authApp();
    const sam = await api.tokens(people.sam.email);
    const hana = await api.tokens(people.hana.email);
    for (let i = 0; i < 5; i++) await api.login(people.emma.email, "wrong", `192.0.2.${i + 1}`);
    await expectError(await api.login(people.emma.email, DEMO_PASSWORD, "192.0.2.99"), 429, "ACCOUNT_LOCKED");
    await expectError(await api.postJson("/v1/auth/unlock", { email: people.emma.email }, bearer(hana.access_token)), 403, "FORBIDDEN");
    expect((await api.postJson("/v1/auth/unlock", { email: people.emma.email }, bearer(sam.access_token))).status).toBe(204);
    expect((await api.login(people.emma.email, DEMO_PASSWORD, "192.0.2.99")).status).toBe(200);
    const [row] = (await superuserSql()`select actor_id, target_id from audit_log where action = 'auth.unlock'`) as [Record<string, string>];
    expect(row).toEqual({ actor_id: people.sam.userId, target_id: people.emma.email });
  });
});

describe("GET /v1/audit", () => {
  it("pages through the tenant's log newest first with an opaque cursor, and never shows another tenant's rows", async () => {
    const api = authApp();
    for (let i = 0; i < 3; i++) await api.login(people.emma.email, "wrong", `192.0.2.${i + 1}`);
    await api.tokens(people.gina.email, "globex");
    const ada = await api.tokens(people.ada.email);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await api.send(`/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { headers: bearer(ada.access_token) });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { data: { id: number; action: string; actor_id: string | null }[]; pagination: { next_cursor: string | null; has_more: boolean } };
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((d) => d.id));
      expect(page.pagination.has_more).toBe(page.pagination.next_cursor !== null);
      cursor = page.pagination.next_cursor;
    } while (cursor);
    const acme = await superuserSql()`select id from audit_log where tenant_id = '00000000-0000-4000-8100-000000000001' order by id desc`;
    expect(seen).toEqual(acme.map((r) => Number(r.id)));
    expect(seen.length).toBe(4); // 3 failed logins + Ada's login; Gina's is Globex's
  });

  it("filters by action and refuses a forged cursor", async () => {
    const api = authApp();
    await api.login(people.emma.email, "wrong", "192.0.2.1");
    const hana = await api.tokens(people.hana.email);
    const filtered = (await (await api.send("/v1/audit?action=auth.login", { headers: bearer(hana.access_token) })).json()) as { data: { success: boolean }[] };
    expect(filtered.data.map((d) => d.success).sort()).toEqual([false, true]);
    await expectError(await api.send("/v1/audit?cursor=bm90LWEtY3Vyc29y", { headers: bearer(hana.access_token) }), 400, "VALIDATION_FAILED");
    await expectError(await api.send("/v1/audit?limit=1000", { headers: bearer(hana.access_token) }), 400, "VALIDATION_FAILED");
  });

  it("is refused to employees and managers", async () => {
    const api = authApp();
    for (const who of [people.emma, people.mike]) {
      await expectError(await api.send("/v1/audit", { headers: bearer((await api.tokens(who.email)).access_token) }), 403, "FORBIDDEN");
    }
  });
});
