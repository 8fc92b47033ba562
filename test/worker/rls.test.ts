import { neon, neonConfig } from "@neondatabase/serverless";
import { eq, sql } from "drizzle-orm";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { ACME, GLOBEX } from "../../scripts/lib/seed-data";
import { type Caller, systemCaller } from "../../src/db/claims";
import { runInDatabase } from "../../src/db/door";
import { employees, roleAssignments, tenants, users } from "../../src/db/schema";
import { as, dbConfig, people } from "../support/worker/callers";
import { rejectionOf, resetDatabase, superuserSql } from "../support/worker/harness";

/** Row-level security tried from the app's side: every query goes through the real door, as real callers. */
beforeEach(() => resetDatabase());

const config = dbConfig();
const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();
const acmeEmployeeIds = ACME.people.map((p) => p.employeeId).sort();

async function visibleEmployees(caller: Caller) {
  const [rows] = await runInDatabase(config, caller, (db) => [db.select({ id: employees.id }).from(employees)]);
  return ids(rows);
}

describe("who sees which employees", () => {
  it("an employee sees only themself", async () => {
    expect(await visibleEmployees(as.emma)).toEqual([people.emma.employeeId]);
  });

  it("a manager sees themself and their direct reports", async () => {
    expect(await visibleEmployees(as.mike)).toEqual([people.mike.employeeId, people.emma.employeeId, people.eli.employeeId].sort());
  });

  it.each([
    ["HR Admin", "hana"],
    ["System Admin", "sam"],
    ["Auditor", "ada"],
  ] as const)("%s sees the whole tenant and nothing else", async (_, who) => {
    expect(await visibleEmployees(as[who])).toEqual(acmeEmployeeIds);
  });

  it("another tenant's HR Admin sees none of this tenant, even by id", async () => {
    const [rows] = await runInDatabase(config, as.gina, (db) => [
      db.select().from(employees).where(eq(employees.id, people.emma.employeeId)),
    ]);
    expect(rows).toEqual([]);
    expect(await visibleEmployees(as.gina)).toEqual(GLOBEX.people.map((p) => p.employeeId).sort());
  });

  it("claims without a tenant see nothing", async () => {
    const nobody: Caller = {
      kind: "user",
      claims: { caller: "user", sub: people.emma.userId, tenant_id: "", employee_id: null, roles: ["hr_admin"] } as never,
    };
    expect(await visibleEmployees(nobody)).toEqual([]);
  });
});

describe("who sees which users, tenants and roles", () => {
  it("an employee sees their own user, tenant and roles only", async () => {
    const [u, t, r] = await runInDatabase(config, as.emma, (db) => [
      db.select({ id: users.id }).from(users),
      db.select({ id: tenants.id }).from(tenants),
      db.select({ userId: roleAssignments.userId }).from(roleAssignments),
    ]);
    expect(ids(u)).toEqual([people.emma.userId]);
    expect(ids(t)).toEqual([ACME.id]);
    expect(new Set(r.map((x) => x.userId))).toEqual(new Set([people.emma.userId]));
  });

  it("a manager sees their reports' users but not their roles", async () => {
    const [u, r] = await runInDatabase(config, as.mike, (db) => [
      db.select({ id: users.id }).from(users),
      db.select({ userId: roleAssignments.userId }).from(roleAssignments),
    ]);
    expect(ids(u)).toEqual([people.mike.userId, people.emma.userId, people.eli.userId].sort());
    expect(new Set(r.map((x) => x.userId))).toEqual(new Set([people.mike.userId]));
  });
});

describe("writes the database refuses", () => {
  const newUser = (tenantId: string) => ({ tenantId, email: `new-${crypto.randomUUID()}@example.test`, displayName: "New" });

  it.each([
    ["Employee", "emma"],
    ["Manager", "mike"],
    ["Auditor", "ada"],
  ] as const)("%s cannot create users", async (_, who) => {
    const error = await rejectionOf(runInDatabase(config, as[who], (db) => [db.insert(users).values(newUser(ACME.id))]));
    expect(error.code).toBe("FORBIDDEN");
  });

  it("HR Admin creates users in their tenant but not in another", async () => {
    await runInDatabase(config, as.hana, (db) => [db.insert(users).values(newUser(ACME.id))]);
    const error = await rejectionOf(runInDatabase(config, as.hana, (db) => [db.insert(users).values(newUser(GLOBEX.id))]));
    expect(error.code).toBe("FORBIDDEN");
    const [{ n }] = (await superuserSql()`select count(*)::int as n from users where tenant_id = ${GLOBEX.id}`) as [{ n: number }];
    expect(n).toBe(GLOBEX.people.length);
  });

  it("an employee cannot change their own manager or time zone (no row is updated)", async () => {
    const [updated] = await runInDatabase(config, as.emma, (db) => [
      db
        .update(employees)
        .set({ managerId: null, timeZone: "UTC" })
        .where(eq(employees.id, people.emma.employeeId))
        .returning({ id: employees.id }),
    ]);
    expect(updated).toEqual([]);
    const [row] = (await superuserSql()`select manager_id, time_zone from employees where id = ${people.emma.employeeId}`) as [
      Record<string, string>,
    ];
    expect(row).toEqual({ manager_id: people.mike.employeeId, time_zone: people.emma.timeZone });
  });

  it("HR Admin cannot move a user into another tenant: tenant_id is not updatable", async () => {
    const error = await rejectionOf(
      runInDatabase(config, as.hana, (db) => [db.update(users).set({ tenantId: GLOBEX.id }).where(eq(users.id, people.emma.userId))]),
    );
    expect(error.code).toBe("FORBIDDEN");
  });

  it("HR Admin's update of another tenant's user matches no row", async () => {
    const [rows] = await runInDatabase(config, as.hana, (db) => [
      db.update(users).set({ displayName: "Hijacked" }).where(eq(users.id, people.gus.userId)).returning({ id: users.id }),
    ]);
    expect(rows).toEqual([]);
    const [row] = (await superuserSql()`select display_name from users where id = ${people.gus.userId}`) as [{ display_name: string }];
    expect(row.display_name).toBe(people.gus.displayName);
  });

  it("HR Admin assigns roles but cannot mint a System Admin; a System Admin can", async () => {
    await runInDatabase(config, as.hana, (db) => [
      db.insert(roleAssignments).values({ tenantId: ACME.id, userId: people.emma.userId, role: "manager" }),
    ]);
    const error = await rejectionOf(
      runInDatabase(config, as.hana, (db) => [
        db.insert(roleAssignments).values({ tenantId: ACME.id, userId: people.hana.userId, role: "system_admin" }),
      ]),
    );
    expect(error.code).toBe("FORBIDDEN");
    await runInDatabase(config, as.sam, (db) => [
      db.insert(roleAssignments).values({ tenantId: ACME.id, userId: people.hana.userId, role: "system_admin" }),
    ]);
    const roles = await superuserSql()`select role from role_assignments where user_id = ${people.hana.userId} order by role`;
    expect(roles.map((r) => r.role)).toEqual(["employee", "hr_admin", "system_admin"]);
  });

  it("nobody deletes users or tenants through the app role", async () => {
    for (const statement of [
      sql`delete from users where id = ${people.emma.userId}`,
      sql`delete from tenants where id = ${ACME.id}`,
      sql`truncate users cascade`,
    ]) {
      const error = await rejectionOf(runInDatabase(config, as.sam, (db) => [db.execute(statement)]));
      expect(error.code).toBe("FORBIDDEN");
    }
    const [{ n }] = (await superuserSql()`select count(*)::int as n from users`) as [{ n: number }];
    expect(n).toBe(ACME.people.length + GLOBEX.people.length);
  });

  it("a user cannot switch role or rewrite their claims inside the batch", async () => {
    const escalate = await rejectionOf(runInDatabase(config, as.emma, (db) => [db.execute(sql`set role leave_ledger_owner`)]));
    expect(escalate.code).toBe("FORBIDDEN");
    const bypass = await rejectionOf(runInDatabase(config, as.emma, (db) => [db.execute(sql`set role postgres`)]));
    expect(bypass.code).toBe("FORBIDDEN");
  });
});

describe("identity tables and functions", () => {
  it("an employee cannot set another user's credentials or end their sessions through the functions", async () => {
    const setOther = await runInDatabase(config, as.emma, (db) => [
      db.execute<{ ok: boolean }>(sql`select app.set_credentials(${people.eli.userId}, 'pbkdf2-sha256$1$x$y', null, 1, now()) as ok`),
    ]);
    expect(setOther[0].rows[0]!.ok).toBe(false);
    const error = await rejectionOf(
      runInDatabase(config, as.emma, (db) => [db.execute(sql`select app.end_all_sessions(${people.eli.userId}, 1, now())`)]),
    );
    expect(error.code).toBe("FORBIDDEN");
    const [row] = (await superuserSql()`select password_hash from credentials where user_id = ${people.eli.userId}`) as [
      { password_hash: string },
    ];
    expect(row.password_hash).not.toBe("pbkdf2-sha256$1$x$y");
  });

  it("nobody reads credentials, refresh tokens or API key hashes through the app role", async () => {
    for (const statement of [sql`select * from credentials`, sql`select * from refresh_tokens`, sql`select key_hash from api_keys`]) {
      const error = await rejectionOf(runInDatabase(config, as.sam, (db) => [db.execute(statement)]));
      expect(error.code).toBe("FORBIDDEN");
    }
  });

  it("only System Admins see API keys, and only their tenant's", async () => {
    await superuserSql()`insert into api_keys (tenant_id, name, prefix, key_hash, role, created_by) values (${ACME.id}, 'k', 'aaaaaaaaaaaa', 'h', 'auditor', ${people.sam.userId})`;
    const visible = async (caller: Caller) =>
      (await runInDatabase(config, caller, (db) => [db.execute(sql`select id from api_keys`)]))[0].rows.length;
    expect(await visible(as.sam)).toBe(1);
    expect(await visible(as.hana)).toBe(0);
    expect(await visible(as.gina)).toBe(0);
  });

  it("audit rows can only be written as oneself, in one's own tenant", async () => {
    const forged = await rejectionOf(
      runInDatabase(config, as.emma, (db) => [
        db.execute(
          sql`insert into audit_log (tenant_id, actor_type, actor_id, action, success) values (${ACME.id}, 'user', ${people.sam.userId}, 'forged', true)`,
        ),
      ]),
    );
    expect(forged.code).toBe("FORBIDDEN");
    const otherTenant = await rejectionOf(
      runInDatabase(config, as.emma, (db) => [
        db.execute(
          sql`insert into audit_log (tenant_id, actor_type, actor_id, action, success) values (${GLOBEX.id}, 'user', ${people.emma.userId}, 'x', true)`,
        ),
      ]),
    );
    expect(otherTenant.code).toBe("FORBIDDEN");
  });
});

describe("system callers and the login role", () => {
  it("a system caller reads no table directly", async () => {
    for (const table of ["tenants", "users", "employees", "role_assignments"]) {
      const error = await rejectionOf(
        runInDatabase(config, systemCaller("health"), (db) => [db.execute(sql.raw(`select * from public.${table}`))]),
      );
      expect(error.code, table).toBe("FORBIDDEN");
    }
  });

  it("a system caller runs its granted functions", async () => {
    const [rows] = await runInDatabase(config, systemCaller("tenant-directory"), (db) => [
      db.execute(sql`select * from app.tenant_directory('acme')`),
    ]);
    expect(rows.rows).toEqual([{ id: ACME.id, slug: "acme", name: ACME.name }]);
  });

  it("end users cannot run the system functions", async () => {
    for (const fn of [sql`select * from app.tenant_directory('globex')`, sql`select * from app.readiness()`]) {
      const error = await rejectionOf(runInDatabase(config, as.sam, (db) => [db.execute(fn)]));
      expect(error.code).toBe("FORBIDDEN");
    }
  });

  it("the Worker's login role on its own can read nothing", async () => {
    neonConfig.fetchEndpoint = inject("neonEndpoint");
    const direct = neon(inject("databaseUrl"));
    for (const table of [
      "tenants",
      "users",
      "employees",
      "role_assignments",
      "schema_migrations",
      "credentials",
      "refresh_tokens",
      "api_keys",
      "audit_log",
    ]) {
      await expect(direct.query(`select * from public.${table}`), table).rejects.toMatchObject({ code: "42501" });
    }
  });
});

describe("the schema itself", () => {
  it("every table has row-level security enabled and forced (the migration ledgers: enabled, owner-only)", async () => {
    const tables = await superuserSql()`
      select relname, relrowsecurity, relforcerowsecurity from pg_class
      where relnamespace = 'public'::regnamespace and relkind = 'r' order by relname`;
    expect(tables.length).toBeGreaterThanOrEqual(5);
    for (const t of tables) {
      expect(t.relrowsecurity, t.relname).toBe(true);
      if (!["schema_migrations", "schema_repeatables"].includes(t.relname)) expect(t.relforcerowsecurity, t.relname).toBe(true);
    }
  });

  it("the roles the Worker uses cannot bypass RLS", async () => {
    const roles = await superuserSql()`
      select rolname, rolbypassrls, rolsuper from pg_roles
      where rolname in ('leave_ledger_app', 'leave_ledger_system', 'leave_ledger_definer', 'leave_ledger_authenticator') order by rolname`;
    expect(roles).toHaveLength(4);
    for (const r of roles) expect([r.rolname, r.rolbypassrls, r.rolsuper]).toEqual([r.rolname, false, false]);
  });

  it("policies read claims once per statement: every app.* call in a policy is wrapped in (select …)", async () => {
    const policies =
      await superuserSql()`select policyname, coalesce(qual, '') || ' ' || coalesce(with_check, '') as expr from pg_policies where schemaname = 'public'`;
    expect(policies.length).toBeGreaterThan(0);
    for (const p of policies) {
      const expr = p.expr as string;
      for (const call of expr.matchAll(/app\.[a-z_]+\(/g)) {
        // Postgres prints a wrapped call as "( SELECT app.f() …" or "( SELECT (app.f() ->> …".
        expect(expr.slice(0, call.index), `${p.policyname}: ${call[0]}`).toMatch(/SELECT\s+\(?$/i);
      }
    }
  });
});
