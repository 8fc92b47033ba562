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

    const removed = await api.send(`/v1/users/${people.hana.userId}/roles/hr_admin`, {
      method: "DELETE",
      headers: bearer(sam.access_token),
    });
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
    await expectError(
      await api.postJson(`/v1/users/${people.hana.userId}/roles`, { role: "system_admin" }, bearer(hana.access_token)),
      403,
      "FORBIDDEN",
    );
    expect((await api.postJson(`/v1/users/${people.hana.userId}/roles`, { role: "system_admin" }, bearer(sam.access_token))).status).toBe(
      200,
    );
  });

  it("employees and auditors cannot change roles; another tenant's user is not found", async () => {
    const api = authApp();
    for (const who of [people.emma, people.ada]) {
      const { access_token } = await api.tokens(who.email);
      await expectError(
        await api.postJson(`/v1/users/${people.eli.userId}/roles`, { role: "manager" }, bearer(access_token)),
        403,
        "FORBIDDEN",
      );
    }
    const gina = await api.tokens(people.gina.email, "globex");
    await expectError(
      await api.postJson(`/v1/users/${people.emma.userId}/roles`, { role: "manager" }, bearer(gina.access_token)),
      404,
      "RESOURCE_NOT_FOUND",
    );
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
    expect(
      (await api.send(`/v1/users/${people.emma.userId}/deactivate`, { method: "POST", headers: bearer(hana.access_token) })).status,
    ).toBe(204);
    await expectError(await api.me(emma.access_token), 401, "UNAUTHORIZED");
    await expectError(await api.postJson("/v1/auth/refresh", { refresh_token: emma.refresh_token }), 401, "UNAUTHORIZED");
    await expectError(await api.login(people.emma.email), 401, "UNAUTHORIZED");
    const [user] = (await superuserSql()`select status from users where id = ${people.emma.userId}`) as [{ status: string }];
    expect(user.status).toBe("deactivated");
  });

  it("is only for HR Admin and System Admin, within their tenant", async () => {
    const api = authApp();
    const mike = await api.tokens(people.mike.email);
    await expectError(
      await api.send(`/v1/users/${people.emma.userId}/deactivate`, { method: "POST", headers: bearer(mike.access_token) }),
      403,
      "FORBIDDEN",
    );
    const gina = await api.tokens(people.gina.email, "globex");
    await expectError(
      await api.send(`/v1/users/${people.emma.userId}/deactivate`, { method: "POST", headers: bearer(gina.access_token) }),
      404,
      "RESOURCE_NOT_FOUND",
    );
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
    const [row] =
      (await superuserSql()`select actor_id, target_type, target_id, personal_details from audit_log where action = 'auth.unlock'`) as [
        Record<string, unknown>,
      ];
    // The identifier is personal data: in the erasable field; the row names the user.
    expect(row).toEqual({
      actor_id: people.sam.userId,
      target_type: "user",
      target_id: people.emma.userId,
      personal_details: { identifier: people.emma.email.toLowerCase() },
    });
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
      const page = (await res.json()) as {
        data: { id: number; action: string; actor_id: string | null }[];
        pagination: { next_cursor: string | null; has_more: boolean };
      };
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
    const filtered = (await (await api.send("/v1/audit?action=auth.login", { headers: bearer(hana.access_token) })).json()) as {
      data: { success: boolean }[];
    };
    expect(filtered.data.map((d) => d.success).sort()).toEqual([false, true]);
    await expectError(
      await api.send("/v1/audit?cursor=bm90LWEtY3Vyc29y", { headers: bearer(hana.access_token) }),
      400,
      "VALIDATION_FAILED",
    );
    await expectError(await api.send("/v1/audit?limit=1000", { headers: bearer(hana.access_token) }), 400, "VALIDATION_FAILED");
  });

  it("filters by actor, by subject and by time, and the filters combine", async () => {
    const api = authApp();
    const sam = await api.tokens(people.sam.email);
    const hana = await api.tokens(people.hana.email);
    const assign = (token: string, userId: string) => api.postJson(`/v1/users/${userId}/roles`, { role: "manager" }, bearer(token));
    expect((await assign(sam.access_token, people.eli.userId)).status).toBe(200);
    expect((await assign(hana.access_token, people.emma.userId)).status).toBe(200);
    type Entry = { id: number; action: string; actor_id: string | null; target_id: string | null; occurred_at: string };
    const list = async (query: string) => {
      const res = await api.send(`/v1/audit?${query}`, { headers: bearer(sam.access_token) });
      expect(res.status, query).toBe(200);
      return ((await res.json()) as { data: Entry[] }).data;
    };
    const assigned = await list("action=role.assign");
    expect(assigned.map((e) => e.target_id)).toEqual([people.emma.userId, people.eli.userId]);
    const [emmas, elis] = assigned as [Entry, Entry];

    expect((await list(`actor_id=${people.hana.userId}`)).map((e) => e.action)).toEqual(["role.assign", "auth.login"]);
    expect((await list(`target_type=user&target_id=${people.eli.userId}`)).map((e) => e.id)).toEqual([elis.id]);
    expect((await list(`action=role.assign&from=${encodeURIComponent(emmas.occurred_at)}`)).map((e) => e.id)).toEqual([emmas.id]);
    expect((await list(`action=role.assign&to=${encodeURIComponent(emmas.occurred_at)}`)).map((e) => e.id)).toEqual([elis.id]);
    expect(await list(`actor_id=${people.sam.userId}&target_id=${people.emma.userId}`)).toEqual([]);
    for (const bad of ["from=0000-01-01T00:00:00Z", "to=yesterday", "from=2026-11-01", "target_type=User", `actor_id=${"x".repeat(129)}`]) {
      await expectError(await api.send(`/v1/audit?${bad}`, { headers: bearer(sam.access_token) }), 400, "VALIDATION_FAILED");
    }
  });

  it("is refused to employees and managers", async () => {
    const api = authApp();
    for (const who of [people.emma, people.mike]) {
      await expectError(await api.send("/v1/audit", { headers: bearer((await api.tokens(who.email)).access_token) }), 403, "FORBIDDEN");
    }
  });
});

describe("creating and changing users", () => {
  const newUser = (overrides: Record<string, unknown> = {}) => ({
    email: "nora.new@acme.example",
    display_name: "Nora New",
    employee: { employee_number: "A-100", manager_id: people.mike.employeeId, time_zone: "America/Chicago", hire_date: "2026-11-01" },
    ...overrides,
  });

  it("HR Admin creates a user with an employee record; they log in once a password is set", async () => {
    const api = authApp();
    const hana = await api.tokens(people.hana.email);
    const res = await api.postJson("/v1/users", newUser(), bearer(hana.access_token));
    expect(res.status).toBe(201);
    const { user_id, employee_id } = (await res.json()) as { user_id: string; employee_id: string };
    await expectError(await api.login("nora.new@acme.example", DEMO_PASSWORD), 401, "UNAUTHORIZED");
    expect(
      (await api.postJson(`/v1/users/${user_id}/password`, { password: "a long new password" }, bearer(hana.access_token))).status,
    ).toBe(204);
    const login = await api.login("nora.new@acme.example", "a long new password");
    expect(login.status).toBe(200);
    const me = (await (await api.me(((await login.json()) as any).access_token)).json()) as any;
    expect(me).toMatchObject({
      roles: ["employee"],
      employee: { id: employee_id, manager_id: people.mike.employeeId, time_zone: "America/Chicago" },
    });
    const audit = await superuserSql()`select action, success from audit_log where target_id = ${user_id} order by id`;
    expect(audit.map((a) => `${a.action}:${a.success}`)).toEqual([
      "user.create:true",
      "auth.login:false",
      "user.password_reset:true",
      "auth.login:true",
    ]);
  });

  it("refuses a duplicate email (409), an unknown time zone (400), a System Admin minted by HR (403), and employees (403)", async () => {
    const api = authApp();
    const hana = await api.tokens(people.hana.email);
    await expectError(
      await api.postJson("/v1/users", newUser({ email: people.emma.email.toUpperCase() }), bearer(hana.access_token)),
      409,
      "CONFLICT",
    );
    const tz = await expectError(
      await api.postJson(
        "/v1/users",
        newUser({ employee: { ...newUser().employee, time_zone: "Mars/Olympus" } }),
        bearer(hana.access_token),
      ),
      400,
      "VALIDATION_FAILED",
    );
    expect((tz.details.issues as { path: string }[])[0]!.path).toBe("employee.time_zone");
    await expectError(await api.postJson("/v1/users", newUser({ roles: ["system_admin"] }), bearer(hana.access_token)), 403, "FORBIDDEN");
    const emma = await api.tokens(people.emma.email);
    await expectError(await api.postJson("/v1/users", newUser(), bearer(emma.access_token)), 403, "FORBIDDEN");
    const [{ n }] = (await superuserSql()`select count(*)::int as n from users where email = 'nora.new@acme.example'`) as [{ n: number }];
    expect(n).toBe(0);
  });

  it("sets an employee's manager and time zone; refuses self-management and other tenants' employees", async () => {
    const api = authApp();
    const hana = await api.tokens(people.hana.email);
    const patch = (id: string, change: unknown, token = hana.access_token) =>
      api.send(`/v1/employees/${id}`, {
        method: "PATCH",
        headers: { ...bearer(token), "Content-Type": "application/json" },
        body: JSON.stringify(change),
      });
    const res = await patch(people.eli.employeeId, { manager_id: people.hana.employeeId, time_zone: "Europe/Paris" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ manager_id: people.hana.employeeId, time_zone: "Europe/Paris" });
    await expectError(await patch(people.eli.employeeId, { manager_id: people.eli.employeeId }), 400, "VALIDATION_FAILED");
    // Mike manages Emma; making Emma Mike's manager would close a loop.
    await expectError(await patch(people.mike.employeeId, { manager_id: people.emma.employeeId }), 409, "CONFLICT");
    const [mike] = (await superuserSql()`select manager_id from employees where id = ${people.mike.employeeId}`) as [
      { manager_id: string | null },
    ];
    expect(mike.manager_id).toBeNull();
    await expectError(await patch(people.eli.employeeId, {}), 400, "VALIDATION_FAILED");
    await expectError(await patch(people.gus.employeeId, { time_zone: "UTC" }), 404, "RESOURCE_NOT_FOUND");
  });

  it("an admin password reset ends the user's sessions; the old password stops working", async () => {
    const api = authApp();
    const emma = await api.tokens(people.emma.email);
    const hana = await api.tokens(people.hana.email);
    api.clock.advance(1000);
    expect(
      (await api.postJson(`/v1/users/${people.emma.userId}/password`, { password: "emma's brand new password" }, bearer(hana.access_token)))
        .status,
    ).toBe(204);
    await expectError(await api.me(emma.access_token), 401, "UNAUTHORIZED");
    await expectError(await api.login(people.emma.email, DEMO_PASSWORD, "192.0.2.60"), 401, "UNAUTHORIZED");
    expect((await api.login(people.emma.email, "emma's brand new password", "192.0.2.61")).status).toBe(200);
  });

  it("a PIN reset replaces the kiosk PIN", async () => {
    const api = authApp();
    const hana = await api.tokens(people.hana.email);
    expect((await api.postJson(`/v1/users/${people.eli.userId}/pin`, { pin: "975310" }, bearer(hana.access_token))).status).toBe(204);
    await expectError(await api.postJson("/v1/auth/pin", { tenant: "acme", employee_number: "A-005", pin: "2468" }), 401, "UNAUTHORIZED");
    expect((await api.postJson("/v1/auth/pin", { tenant: "acme", employee_number: "A-005", pin: "975310" })).status).toBe(200);
  });

  it("a new PIN has at least 6 digits (existing shorter PINs still sign in)", async () => {
    const api = authApp();
    const hana = await api.tokens(people.hana.email);
    for (const pin of ["2468", "13579", "123456789", "12a456"]) {
      await expectError(
        await api.postJson(`/v1/users/${people.eli.userId}/pin`, { pin }, bearer(hana.access_token)),
        400,
        "VALIDATION_FAILED",
      );
    }
    expect((await api.postJson("/v1/auth/pin", { tenant: "acme", employee_number: "A-005", pin: "2468" })).status).toBe(200);
  });

  it("users change their own password with the current one; every session ends", async () => {
    const api = authApp();
    const emma = await api.tokens(people.emma.email);
    const change = (current: string) =>
      api.postJson("/v1/me/password", { current_password: current, new_password: "correct horse battery" }, bearer(emma.access_token));
    await expectError(await change("not my password"), 401, "UNAUTHORIZED");
    api.clock.advance(1000);
    expect((await change(DEMO_PASSWORD)).status).toBe(204);
    await expectError(await api.me(emma.access_token), 401, "UNAUTHORIZED");
    expect((await api.login(people.emma.email, "correct horse battery", "192.0.2.70")).status).toBe(200);
  });
});
