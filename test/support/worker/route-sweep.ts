/**
 * Helpers for the security sweep (test/worker/security-sweep.test.ts): what each route of the app declares
 * (public, or signed in with which permission), read from the app's own route table; users holding exactly
 * the roles a test names; and a fingerprint of every table, to show that refused requests changed nothing.
 */
import type { Hono } from "hono";
import type { SeedTenant } from "../../../scripts/lib/seed-data";
import { PERMISSION_NAMES, type Permission, type Role } from "../../../src/kernel/access";
import { AppError } from "../../../src/kernel/errors";
import { superuserSql } from "./harness";

/** How a route is guarded, as its middleware says. */
export type DeclaredAccess = { kind: "public" } | { kind: "signed-in"; permission: Permission | null };

export interface RouteEntry {
  method: string;
  /** In the OpenAPI document's form: `/v1/users/{user_id}`. */
  path: string;
  access: DeclaredAccess;
}

/** Hono marks a handler it wrapped when mounting a router with its own error handler (hono/utils/constants). */
const COMPOSED_HANDLER = "__COMPOSED_HANDLER";
type Handler = (c: unknown, next: () => Promise<void>) => unknown;

/**
 * Runs one middleware of a route against a context that has no Authorization header and a principal with no
 * roles. `authenticate()` refuses it with 401 ("A bearer token is required"), `requirePermission(p)` with 403
 * naming `p`; anything else is not a guard. Only the handlers before a route's last one are probed, and only
 * until the first that is not a guard: validators and handlers never run here.
 */
async function probe(handler: Handler): Promise<"authenticate" | Permission | null> {
  const context = {
    get: (key: string) => (key === "principal" ? { kind: "user", roles: [], scopes: [] } : undefined),
    set: () => {},
    req: { header: () => undefined },
    env: {},
    executionCtx: { waitUntil: () => {} },
  };
  try {
    await handler(context, async () => {});
  } catch (error) {
    if (!(error instanceof AppError)) return null;
    if (error.code === "UNAUTHORIZED" && error.message === "A bearer token is required") return "authenticate";
    const permission = error.details.permission;
    if (error.code === "FORBIDDEN" && PERMISSION_NAMES.includes(permission as Permission)) return permission as Permission;
  }
  return null;
}

/** Every route of `app` (its route table, not its document) with the access its middleware declares. */
export async function routeTable(app: Hono<any>): Promise<RouteEntry[]> {
  const byRoute = new Map<string, { method: string; path: string; handlers: Handler[] }>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue; // app.use(): the pipeline, not an operation
    const path = route.path.replace(/:(\w+)/g, "{$1}");
    const key = `${route.method} ${path}`;
    const entry = byRoute.get(key) ?? { method: route.method, path, handlers: [] };
    const handler = route.handler as Handler & { [COMPOSED_HANDLER]?: Handler };
    entry.handlers.push(handler[COMPOSED_HANDLER] ?? handler);
    byRoute.set(key, entry);
  }
  const entries: RouteEntry[] = [];
  for (const { method, path, handlers } of byRoute.values()) {
    const guards = handlers.slice(0, -1);
    const first = guards[0] ? await probe(guards[0]) : null;
    if (first !== "authenticate") {
      entries.push({ method, path, access: { kind: "public" } });
      continue;
    }
    const second = guards[1] ? await probe(guards[1]) : null;
    const permission = second === null || second === "authenticate" ? null : second;
    entries.push({ method, path, access: { kind: "signed-in", permission } });
  }
  return entries;
}

let extraUsers = 0;

/**
 * A user of `tenant` holding exactly `roles`, with the demo password (copied from a seeded person's
 * credentials) and, unless `employee: false`, an employee record. Written as the superuser, like the targets
 * of test/worker/user-management.test.ts.
 */
export async function userWithRoles(
  tenant: SeedTenant,
  roles: Role[],
  options: { employee?: boolean; label?: string } = {},
): Promise<{ userId: string; employeeId: string | null; email: string }> {
  const sql = superuserSql();
  const n = ++extraUsers;
  const userId = crypto.randomUUID();
  const employeeId = options.employee === false ? null : crypto.randomUUID();
  const label = options.label ?? roles.join("-");
  const email = `sweep-${n}-${label}@${tenant.slug}.example`;
  const passwordOf = tenant.people[0]!.userId;
  await sql.transaction([
    sql`insert into users (id, tenant_id, email, display_name) values (${userId}, ${tenant.id}, ${email}, ${`Sweep ${label}`})`,
    ...(employeeId
      ? [
          sql`insert into employees (id, tenant_id, user_id, employee_number, time_zone, hire_date)
              values (${employeeId}, ${tenant.id}, ${userId}, ${`S-${n}`}, 'UTC', '2020-01-01')`,
        ]
      : []),
    sql`insert into credentials (user_id, tenant_id, password_hash)
        select ${userId}, tenant_id, password_hash from credentials where user_id = ${passwordOf}`,
    ...roles.map((role) => sql`insert into role_assignments (tenant_id, user_id, role) values (${tenant.id}, ${userId}, ${role})`),
  ]);
  return { userId, employeeId, email };
}

/**
 * One hash per table of the database (every schema but Postgres' own), over every row, so that two
 * fingerprints differ if any row was written. `ignore` leaves out columns that change on reads by design
 * (`api_keys.last_used_at`, touched whenever a key authenticates, even for a request that is then refused).
 */
export async function databaseFingerprint(ignore: Record<string, string[]> = {}): Promise<Record<string, string>> {
  const sql = superuserSql();
  const tables = (await sql`select table_schema, table_name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2`) as {
    table_schema: string;
    table_name: string;
  }[];
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const parts = tables.map(({ table_schema, table_name }) => {
    const dropped = (ignore[table_name] ?? []).map((column) => ` - '${column.replaceAll("'", "''")}'`).join("");
    const row = `(to_jsonb(t)${dropped})::text`;
    return `select '${table_schema}.${table_name}' as name, md5(coalesce(string_agg(${row}, '|' order by ${row}), '')) as hash
      from ${quote(table_schema)}.${quote(table_name)} t`;
  });
  const rows = (await sql.query(parts.join(" union all "))) as { name: string; hash: string }[];
  return Object.fromEntries(rows.map((r) => [r.name, r.hash]));
}
