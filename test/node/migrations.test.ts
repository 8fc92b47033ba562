import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_NAME } from "../../scripts/lib/local-stack";
import { ensureDatabase, type LocalPostgres } from "../../scripts/lib/embedded-postgres";
import { loadMigrations, migrateDown, migrateUp, migrationStatus } from "../../scripts/lib/migrator";
import { DB_ROLES } from "../../src/db/roles";
import { startThrowawayPostgres } from "../support/node/throwaway-postgres";

let postgres: LocalPostgres;
let ownerUrl: string;

async function query<T extends pg.QueryResultRow>(text: string, url = postgres.superuserUrl(DATABASE_NAME)): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** Tables, policies, functions and roles: what a migration can leave behind. */
async function schemaFingerprint() {
  const [tables, policies, functions, types, roles] = await Promise.all([
    query<{ t: string }>("select relname || ':' || relrowsecurity || relforcerowsecurity as t from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' and relname <> 'schema_migrations' order by 1"),
    query<{ p: string }>("select tablename || '.' || policyname as p from pg_policies order by 1"),
    query<{ f: string }>("select p.oid::regprocedure::text as f from pg_proc p where pronamespace = (select oid from pg_namespace where nspname = 'app') order by 1"),
    query<{ t: string }>("select typname as t from pg_type where typnamespace = 'public'::regnamespace and typtype = 'e' order by 1"),
    query<{ r: string }>("select rolname as r from pg_roles where rolname like 'leave_ledger_%' and rolname <> 'leave_ledger_owner' order by 1"),
  ]);
  return { tables, policies, functions, types, roles };
}

beforeAll(async () => {
  postgres = await startThrowawayPostgres();
  await ensureDatabase(postgres.superuserUrl(), DATABASE_NAME, DB_ROLES.owner);
  ownerUrl = `postgres://${DB_ROLES.owner}@127.0.0.1:${postgres.port}/${DATABASE_NAME}`;
});
afterAll(() => postgres?.stop());

describe("migrations", () => {
  it("every migration has a hand-written down script", async () => {
    const migrations = await loadMigrations();
    expect(migrations.length).toBeGreaterThanOrEqual(3);
    for (const m of migrations) expect(m.down.trim().length, m.tag).toBeGreaterThan(0);
  });

  it("run UP → DOWN → UP to the same schema, as the owner role", async () => {
    const tags = (await loadMigrations()).map((m) => m.tag);
    expect(await migrateUp(ownerUrl)).toEqual(tags);
    const up = await schemaFingerprint();
    expect(up.tables.map((t) => t.t)).toEqual([
      "accrual_postings:truetrue",
      "api_keys:truetrue",
      "approvals:truetrue",
      "audit_chain_heads:truetrue",
      "audit_log:truetrue",
      "balance_snapshots:truetrue",
      "booked_days:truetrue",
      "credentials:truetrue",
      "employees:truetrue",
      "holidays:truetrue",
      "idempotency_keys:truetrue",
      "leave_policies:truetrue",
      "leave_requests:truetrue",
      "ledger_accounts:truetrue",
      "ledger_entries:truetrue",
      "ledger_runs:truetrue",
      "policy_assignments:truetrue",
      "refresh_tokens:truetrue",
      "role_assignments:truetrue",
      "tenants:truetrue",
      "users:truetrue",
    ]);
    expect(up.policies.length).toBeGreaterThan(8);
    expect(up.roles.map((r) => r.r)).toEqual(["leave_ledger_app", "leave_ledger_authenticator", "leave_ledger_definer", "leave_ledger_system"]);

    expect(await migrateDown(ownerUrl, tags.length)).toEqual([...tags].reverse());
    const down = await schemaFingerprint();
    expect(down).toEqual({ tables: [], policies: [], functions: [], types: [], roles: [] });
    expect((await migrationStatus(ownerUrl)).every((m) => !m.applied)).toBe(true);

    expect(await migrateUp(ownerUrl)).toEqual(tags);
    expect(await schemaFingerprint()).toEqual(up);
  });

  it("is idempotent: a second UP applies nothing", async () => {
    expect(await migrateUp(ownerUrl)).toEqual([]);
  });

  it("steps down one migration at a time", async () => {
    const tags = (await loadMigrations()).map((m) => m.tag);
    expect(await migrateDown(ownerUrl, 1)).toEqual([tags.at(-1)]);
    const status = await migrationStatus(ownerUrl);
    expect(status.filter((m) => m.applied).map((m) => m.tag)).toEqual(tags.slice(0, -1));
    expect(await migrateUp(ownerUrl)).toEqual([tags.at(-1)]);
  });

  it("refuses to run when an applied migration's file has changed", async () => {
    await query(`update schema_migrations set checksum = 'tampered' where name = (select min(name) from schema_migrations)`);
    await expect(migrateUp(ownerUrl)).rejects.toThrow(/was changed after it was applied/);
    const first = (await loadMigrations())[0]!;
    await query(`update schema_migrations set checksum = '${first.checksum}' where name = '${first.tag}'`);
    expect(await migrateUp(ownerUrl)).toEqual([]);
  });
});
