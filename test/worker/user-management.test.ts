/**
 * Who may manage whom: every user-management action × every actor (each role, and an API key) × every target
 * role. A caller may act on another user only with the action's permission and only if every role the target
 * holds is one the caller may grant; nobody but a System Admin touches a System Admin; API keys never set
 * credentials; a tenant always keeps an active System Admin.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ACME } from "../../scripts/lib/seed-data";
import { PERMISSIONS, type Permission, ROLES, type Role } from "../../src/kernel/access";
import { authApp } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer } from "../support/worker/ledger";

type Actor = { name: string; role: Role; apiKey: boolean; token: string };
type Target = { id: string; email: string; role: Role };

/** What each action needs, and how it is called. */
const ACTIONS: {
  name: string;
  permission: Permission;
  credentials?: true;
  call: (api: ReturnType<typeof authApp>, target: Target, auth: object) => Promise<Response>;
}[] = [
  {
    name: "set password",
    permission: "user:manage",
    credentials: true,
    call: (api, t, auth) => api.postJson(`/v1/users/${t.id}/password`, { password: "a-new-password-123" }, auth as Record<string, string>),
  },
  {
    name: "set PIN",
    permission: "user:manage",
    credentials: true,
    call: (api, t, auth) => api.postJson(`/v1/users/${t.id}/pin`, { pin: "864209" }, auth as Record<string, string>),
  },
  {
    name: "deactivate",
    permission: "user:manage",
    call: (api, t, auth) => api.postJson(`/v1/users/${t.id}/deactivate`, {}, auth as Record<string, string>),
  },
  {
    name: "grant a role",
    permission: "role:assign",
    call: (api, t, auth) => api.postJson(`/v1/users/${t.id}/roles`, { role: "auditor" }, auth as Record<string, string>),
  },
  {
    name: "remove their role",
    permission: "role:assign",
    call: (api, t, auth) => api.send(`/v1/users/${t.id}/roles/${t.role}`, { method: "DELETE", headers: auth as Record<string, string> }),
  },
  {
    name: "unlock",
    permission: "account:unlock",
    call: (api, t, auth) => api.postJson("/v1/auth/unlock", { email: t.email }, auth as Record<string, string>),
  },
];

const may = (role: Role, permission: Permission) => (PERMISSIONS[permission] as readonly Role[]).includes(role);
const grantable = (role: Role): Role[] =>
  may(role, "role:assign:system_admin") ? [...ROLES] : may(role, "role:assign") ? ROLES.filter((r) => r !== "system_admin") : [];

function expected(action: (typeof ACTIONS)[number], actor: Actor, target: Target): number {
  if (!may(actor.role, action.permission)) return 403;
  if (action.credentials && actor.apiKey) return 403;
  if (action.permission !== "account:unlock" && !grantable(actor.role).includes(target.role)) return 403;
  if (action.name === "grant a role" || action.name === "remove their role") return 200;
  return 204;
}

const api = authApp();
let actors: Actor[];
let counter = 0;

async function newTarget(role: Role): Promise<Target> {
  const id = crypto.randomUUID();
  const email = `target-${++counter}-${role}@acme.example`;
  const sql = superuserSql();
  await sql`insert into users (id, tenant_id, email, display_name) values (${id}, ${ACME.id}, ${email}, ${`Target ${role}`})`;
  await sql`insert into role_assignments (tenant_id, user_id, role) values (${ACME.id}, ${id}, ${role})`;
  return { id, email, role };
}

beforeAll(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
  const signIn = async (email: string) => (await api.tokens(email)).access_token;
  const sam = await signIn(people.sam.email);
  const key = await api.postJson("/v1/api-keys", { name: "hr integration", role: "hr_admin" }, bearer(sam));
  expect(key.status).toBe(201);
  actors = [
    { name: "System Admin", role: "system_admin", apiKey: false, token: sam },
    { name: "HR Admin", role: "hr_admin", apiKey: false, token: await signIn(people.hana.email) },
    { name: "Manager", role: "manager", apiKey: false, token: await signIn(people.mike.email) },
    { name: "Employee", role: "employee", apiKey: false, token: await signIn(people.emma.email) },
    { name: "Auditor", role: "auditor", apiKey: false, token: await signIn(people.ada.email) },
    { name: "API key (hr_admin)", role: "hr_admin", apiKey: true, token: ((await key.json()) as { key: string }).key },
  ];
});

describe("who may manage whom", () => {
  it("every action × every actor × every target role answers as the rule says, and a refusal changes nothing", async () => {
    const mismatches: string[] = [];
    for (const action of ACTIONS) {
      for (const actor of actors) {
        for (const role of ROLES) {
          const target = await newTarget(role);
          const before =
            await superuserSql()`select u.status, u.session_version::text, array(select r.role::text from role_assignments r where r.user_id = u.id order by 1) as roles,
            (select count(*)::int from credentials c where c.user_id = u.id) as credentials from users u where u.id = ${target.id}`;
          const res = await action.call(api, target, bearer(actor.token));
          const want = expected(action, actor, target);
          if (res.status !== want) mismatches.push(`${action.name} by ${actor.name} on a ${role}: ${res.status}, expected ${want}`);
          if (want === 403) {
            await expectError(res, 403, "FORBIDDEN");
            const after =
              await superuserSql()`select u.status, u.session_version::text, array(select r.role::text from role_assignments r where r.user_id = u.id order by 1) as roles,
              (select count(*)::int from credentials c where c.user_id = u.id) as credentials from users u where u.id = ${target.id}`;
            if (JSON.stringify(after) !== JSON.stringify(before))
              mismatches.push(`${action.name} by ${actor.name} on a ${role}: refused but changed ${JSON.stringify(after)}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  }, 240_000);

  it("another tenant's user is not found, whatever the action", async () => {
    const [sam] = actors;
    for (const action of ACTIONS.filter((a) => a.name !== "unlock")) {
      const res = await action.call(api, { id: people.gus.userId, email: people.gus.email, role: "employee" }, bearer(sam!.token));
      await expectError(res, 404, "RESOURCE_NOT_FOUND");
    }
  });
});

describe("a tenant keeps an active System Admin", () => {
  it("the last one can be neither deactivated nor demoted; with two, one can go", async () => {
    await Promise.all([resetDatabase(), resetEdgeState()]);
    const sam = (await api.tokens(people.sam.email)).access_token;
    await expectError(
      await api.send(`/v1/users/${people.sam.userId}/roles/system_admin`, { method: "DELETE", headers: bearer(sam) }),
      409,
      "CONFLICT",
    );
    const second = await newTarget("system_admin");
    await superuserSql()`insert into credentials (user_id, tenant_id, password_hash) select ${second.id}, tenant_id, password_hash from credentials where user_id = ${people.sam.userId}`;
    const other = (await api.tokens(second.email)).access_token;
    expect((await api.postJson(`/v1/users/${people.sam.userId}/deactivate`, {}, bearer(other))).status).toBe(204);
    // Now `second` is the last one: removing their own System Admin role is refused.
    await expectError(
      await api.send(`/v1/users/${second.id}/roles/system_admin`, { method: "DELETE", headers: bearer(other) }),
      409,
      "CONFLICT",
    );
    const admins =
      await superuserSql()`select count(*)::int as n from users u join role_assignments r on r.user_id = u.id and r.role = 'system_admin'
      where u.tenant_id = ${ACME.id} and u.status = 'active'`;
    expect(admins).toEqual([{ n: 1 }]);
  });

  it("two System Admins removing each other at the same time: exactly one succeeds", async () => {
    await Promise.all([resetDatabase(), resetEdgeState()]);
    const second = await newTarget("system_admin");
    await superuserSql()`insert into credentials (user_id, tenant_id, password_hash) select ${second.id}, tenant_id, password_hash from credentials where user_id = ${people.sam.userId}`;
    const [sam, other] = [(await api.tokens(people.sam.email)).access_token, (await api.tokens(second.email)).access_token];
    const answers = await Promise.all([
      api.postJson(`/v1/users/${second.id}/deactivate`, {}, bearer(sam)),
      api.postJson(`/v1/users/${people.sam.userId}/deactivate`, {}, bearer(other)),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([204, 409]);
    const admins =
      await superuserSql()`select count(*)::int as n from users u join role_assignments r on r.user_id = u.id and r.role = 'system_admin'
      where u.tenant_id = ${ACME.id} and u.status = 'active'`;
    expect(admins).toEqual([{ n: 1 }]);
  });
});
