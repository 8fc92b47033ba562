import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotCatalog } from "../../scripts/lib/catalog";
import { installClaimsKeys, parseClaimsKey } from "../../scripts/lib/claims-keys";
import { ensureDatabase, type LocalPostgres } from "../../scripts/lib/embedded-postgres";
import { generatedSql } from "../../scripts/lib/generated-sql";
import { DATABASE_NAME } from "../../scripts/lib/local-stack";
import { loadMigrations, loadRepeatables, MIGRATIONS_DIR, migrateDown, migrateUp, migrationStatus } from "../../scripts/lib/migrator";
import { SET_SIGNED_CLAIMS_SQL, signClaims } from "../../src/db/claims";
import { DB_ROLES } from "../../src/db/roles";
import { PERMISSION_NAMES, PERMISSIONS, ROLES } from "../../src/kernel/access";
import { startThrowawayPostgres } from "../support/node/throwaway-postgres";
import { TEST_DB_CLAIMS_KEY } from "../support/test-constants";

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

async function withClient<T>(work: (client: pg.Client) => Promise<T>, url = postgres.superuserUrl(DATABASE_NAME)): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Every function, view and trigger with its definition, owner and grants. */
const catalog = () => withClient(async (client) => [...(await snapshotCatalog(client)).entries()].sort(([a], [b]) => a.localeCompare(b)));

/** Tables, policies, functions and roles: what a migration can leave behind. */
async function schemaFingerprint() {
  const [tables, policies, functions, types, roles] = await Promise.all([
    query<{ t: string }>(
      "select relname || ':' || relrowsecurity || relforcerowsecurity as t from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' and relname not in ('schema_migrations', 'schema_repeatables') order by 1",
    ),
    query<{ p: string }>("select tablename || '.' || policyname as p from pg_policies order by 1"),
    query<{ f: string }>(
      "select p.oid::regprocedure::text as f from pg_proc p where pronamespace = (select oid from pg_namespace where nspname = 'app') order by 1",
    ),
    query<{ t: string }>("select typname as t from pg_type where typnamespace = 'public'::regnamespace and typtype = 'e' order by 1"),
    query<{ r: string }>(
      "select rolname as r from pg_roles where rolname like 'leave_ledger_%' and rolname <> 'leave_ledger_owner' order by 1",
    ),
  ]);
  return { tables, policies, functions, types, roles, catalog: await catalog() };
}

const allSteps = async () => [...(await loadMigrations()).map((m) => m.tag), ...(await loadRepeatables()).map((r) => r.name)];

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
    const steps = await allSteps();
    expect(await migrateUp(ownerUrl)).toEqual(steps);
    const up = await schemaFingerprint();
    expect(up.tables.map((t) => t.t)).toEqual([
      "accrual_postings:truetrue",
      "api_keys:truetrue",
      "approval_delegations:truetrue",
      "approvals:truetrue",
      "audit_chain_heads:truetrue",
      "audit_checkpoint_keys:truetrue",
      "audit_checkpoints:truetrue",
      "audit_log:truetrue",
      "balance_snapshots:truetrue",
      "booked_days:truetrue",
      "claims_keys:truetrue",
      "credentials:truetrue",
      "data_keys:truetrue",
      "employees:truetrue",
      "holidays:truetrue",
      "idempotency_keys:truetrue",
      "leave_policies:truetrue",
      "leave_requests:truetrue",
      "ledger_accounts:truetrue",
      "ledger_entries:truetrue",
      "ledger_runs:truetrue",
      "outbox_events:truetrue",
      "policy_assignments:truetrue",
      "refresh_tokens:truetrue",
      "request_comments:truetrue",
      "role_assignments:truetrue",
      "sign_in_places:truetrue",
      "tenants:truetrue",
      "users:truetrue",
      "webhook_attempts:truetrue",
      "webhook_deliveries:truetrue",
      "webhook_subscriptions:truetrue",
    ]);
    expect(up.policies.length).toBeGreaterThan(8);
    expect(up.roles.map((r) => r.r)).toEqual([
      "leave_ledger_app",
      "leave_ledger_authenticator",
      "leave_ledger_definer",
      "leave_ledger_system",
    ]);

    expect(await migrateDown(ownerUrl, steps.length)).toEqual([...steps].reverse());
    const down = await schemaFingerprint();
    expect(down).toEqual({ tables: [], policies: [], functions: [], types: [], roles: [], catalog: [] });
    expect((await migrationStatus(ownerUrl)).every((m) => m.status === "pending")).toBe(true);

    expect(await migrateUp(ownerUrl)).toEqual(steps);
    expect(await schemaFingerprint()).toEqual(up);
  });

  it("is idempotent: a second UP applies nothing", async () => {
    expect(await migrateUp(ownerUrl)).toEqual([]);
  });

  it("steps down one step at a time, repeatables first, then the versioned migration they followed", async () => {
    const steps = await allSteps();
    const repeatables = (await loadRepeatables()).length;
    const tags = (await loadMigrations()).map((m) => m.tag);
    expect(await migrateDown(ownerUrl, 1)).toEqual([steps.at(-1)]);
    const status = await migrationStatus(ownerUrl);
    expect(status.filter((m) => m.status === "applied").map((m) => m.name)).toEqual(steps.slice(0, -1));
    expect(await migrateUp(ownerUrl)).toEqual([steps.at(-1)]);

    expect(await migrateDown(ownerUrl, repeatables + 1)).toEqual([...steps].reverse().slice(0, repeatables + 1));
    expect((await migrationStatus(ownerUrl)).filter((m) => m.status === "applied").map((m) => m.name)).toEqual(tags.slice(0, -1));
    expect(await migrateUp(ownerUrl)).toEqual([tags.at(-1), ...steps.slice(-repeatables)]);
  });

  it("a changed repeatable is applied again; rolling it back restores the definitions, owners and grants it replaced", async () => {
    const dir = await mkdtemp(join(tmpdir(), "leave-ledger-migrations-"));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      const before = await catalog();
      const file = join(dir, "functions", "15_refusals.sql");
      const original = await readFile(file, "utf8");
      // A rule change (a new body), a new function, a changed grant and a new trigger, in one file.
      await writeFile(
        file,
        `${original.replace("RAISE EXCEPTION", "RAISE EXCEPTION USING MESSAGE = 'changed'; RAISE EXCEPTION")}
CREATE OR REPLACE FUNCTION app.rule_probe() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;
GRANT EXECUTE ON FUNCTION app.fail(text, text, jsonb) TO leave_ledger_system;
CREATE OR REPLACE TRIGGER holidays_probe BEFORE DELETE ON holidays FOR EACH ROW EXECUTE FUNCTION app.refuse_change();
`,
      );
      expect((await migrationStatus(ownerUrl, dir)).find((m) => m.name === "functions/15_refusals.sql")?.status).toBe("changed");
      expect(await migrateUp(ownerUrl, { dir })).toEqual(["functions/15_refusals.sql"]);
      const changed = new Map(await catalog());
      expect(changed.get("function::app.fail(text,text,jsonb)")?.definition).toContain("'changed'");
      expect(changed.get("function::app.fail(text,text,jsonb)")?.acl).toContain("leave_ledger_system=EXECUTE");
      expect(changed.has("function::app.rule_probe()")).toBe(true);
      expect(changed.has("trigger:holidays:holidays_probe")).toBe(true);

      expect(await migrateDown(ownerUrl, 1, { dir })).toEqual(["functions/15_refusals.sql"]);
      expect(await catalog()).toEqual(before);
      // The file is still changed, so the next UP applies it again; back to the committed version.
      expect(await migrateUp(ownerUrl, { dir })).toEqual(["functions/15_refusals.sql"]);
      expect(await migrateDown(ownerUrl, 1, { dir })).toEqual(["functions/15_refusals.sql"]);
      expect(await catalog()).toEqual(before);

      // What CREATE OR REPLACE cannot undo: a renamed parameter, a view's options, a disabled trigger, no grants.
      const probes = (parameter: string, viewOptions: string, triggerState: string) => `${original}
DROP FUNCTION IF EXISTS app.rule_probe(int);
CREATE FUNCTION app.rule_probe(${parameter} int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;
REVOKE ALL ON FUNCTION app.rule_probe(int) FROM PUBLIC;
CREATE OR REPLACE VIEW app.probe_view ${viewOptions} AS SELECT 1 AS one;
CREATE OR REPLACE TRIGGER holidays_probe BEFORE DELETE ON holidays FOR EACH ROW EXECUTE FUNCTION app.refuse_change();
ALTER TABLE holidays ${triggerState} TRIGGER holidays_probe;
`;
      await writeFile(file, probes("p_first", "WITH (security_invoker = true)", "DISABLE"));
      await migrateUp(ownerUrl, { dir });
      const first = await catalog();
      expect(new Map(first).get("view::app.probe_view")?.definition).toContain("security_invoker");
      await writeFile(file, probes("p_second", "", "ENABLE"));
      await migrateUp(ownerUrl, { dir });
      expect(new Map(await catalog()).get("function::app.rule_probe(integer)")?.shape).toContain("p_second");
      expect(await migrateDown(ownerUrl, 1, { dir })).toEqual(["functions/15_refusals.sql"]);
      expect(await catalog()).toEqual(first);
      expect(await migrateDown(ownerUrl, 1, { dir })).toEqual(["functions/15_refusals.sql"]);
      expect(await catalog()).toEqual(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("every function, view and trigger has exactly one home in migrations/functions", async () => {
    const homes = new Map<string, string[]>();
    for (const { name, body } of await loadRepeatables()) {
      for (const [, kind, object] of body.matchAll(/^CREATE OR REPLACE (FUNCTION|VIEW|TRIGGER) (?:app\.)?(\w+)/gm)) {
        const key = `${kind!.toLowerCase()}:${object}`;
        homes.set(key, [...(homes.get(key) ?? []), name]);
      }
    }
    expect(
      [...homes].filter(([, files]) => files.length > 1),
      "defined in more than one file",
    ).toEqual([]);
    const objects = (await catalog()).map(([, o]) => `${o.kind}:${o.name.replace(/^app\./, "").replace(/\(.*$/, "")}`);
    expect([...new Set(objects)].sort()).toEqual([...homes.keys()].sort());
  });

  it("re-applying every repeatable to the migrated database changes nothing (no definition drifted from its file)", async () => {
    const repeatables = await loadRepeatables();
    await withClient(async (client) => {
      await client.query("begin");
      try {
        const before = await snapshotCatalog(client);
        for (const { body } of repeatables) await client.query(body);
        const after = await snapshotCatalog(client);
        const drifted = [...after]
          .filter(([key, object]) => JSON.stringify(object) !== JSON.stringify(before.get(key)))
          .map(([key]) => key);
        expect(drifted).toEqual([]);
      } finally {
        await client.query("rollback");
      }
    }, ownerUrl);
  });

  it("refuses to run when an applied migration's file has changed", async () => {
    await query(`update schema_migrations set checksum = 'tampered' where name = (select min(name) from schema_migrations)`);
    await expect(migrateUp(ownerUrl)).rejects.toThrow(/was changed after it was applied/);
    const first = (await loadMigrations())[0]!;
    await query(`update schema_migrations set checksum = '${first.checksum}' where name = '${first.tag}'`);
    expect(await migrateUp(ownerUrl)).toEqual([]);
  });

  it("the generated function files are exactly what their TypeScript sources generate (npm run db:functions)", async () => {
    for (const [file, content] of Object.entries(generatedSql()))
      expect(await readFile(join(MIGRATIONS_DIR, file), "utf8"), file).toBe(content);
  });

  it("app.can in the database answers as the permission matrix does, for every role and permission", async () => {
    const key = parseClaimsKey(JSON.stringify(TEST_DB_CLAIMS_KEY));
    await installClaimsKeys(ownerUrl, [key], { exclusive: true });
    const answers = await withClient(async (client) => {
      const rows: string[] = [];
      for (const role of ROLES) {
        const signed = await signClaims({ roles: [role] }, key);
        await client.query("begin");
        await client.query(SET_SIGNED_CLAIMS_SQL, [signed.claims, signed.signature]);
        const { rows: allowed } = await client.query<{ permission: string }>(
          "select p as permission from unnest($1::text[]) p where app.can(p)",
          [PERMISSION_NAMES],
        );
        await client.query("commit");
        rows.push(...allowed.map((r) => `${role}:${r.permission}`));
      }
      return rows.sort();
    });
    const expected = ROLES.flatMap((role) =>
      PERMISSION_NAMES.filter((p) => (PERMISSIONS[p] as readonly string[]).includes(role)).map((p) => `${role}:${p}`),
    );
    expect(answers).toEqual(expected.sort());
  });

  it("no policy or function names roles: they ask app.can for permissions the matrix has", async () => {
    const sources = await query<{ name: string; text: string }>(`
      select tablename || '.' || policyname as name, coalesce(qual, '') || ' ' || coalesce(with_check, '') as text from pg_policies
      union all
      select p.oid::regprocedure::text, p.prosrc from pg_proc p
       where p.pronamespace = 'app'::regnamespace and p.proname not in ('granted', 'can')`);
    expect(sources.filter((s) => s.text.includes("app.granted")).map((s) => s.name)).toEqual([]);
    const asked = new Set(sources.flatMap((s) => [...s.text.matchAll(/app\.can\('([^']+)'/g)].map((m) => m[1]!)));
    expect(asked.size).toBeGreaterThan(5);
    expect([...asked].filter((p) => !(p in PERMISSIONS))).toEqual([]);
  });

  describe("migration 0022 (several audit chains per tenant)", () => {
    const TENANT = "5a1e0000-0000-4000-8000-000000000022";

    /** A database of its own at migration 0021 with no function files applied: migration 0013's trigger seals rows. */
    async function legacyDatabase(name: string) {
      await ensureDatabase(postgres.superuserUrl(), name, DB_ROLES.owner);
      const dir = await mkdtemp(join(tmpdir(), "leave-ledger-0021-"));
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      await rm(join(dir, "functions"), { recursive: true, force: true });
      await mkdir(join(dir, "functions"));
      const journalFile = join(dir, "meta", "_journal.json");
      const journal = JSON.parse(await readFile(journalFile, "utf8")) as { entries: { tag: string }[] };
      journal.entries = journal.entries.filter((e) => e.tag < "0022");
      await writeFile(journalFile, JSON.stringify(journal));
      const owner = `postgres://${DB_ROLES.owner}@127.0.0.1:${postgres.port}/${name}`;
      await migrateUp(owner, { dir });
      await rm(dir, { recursive: true, force: true });
      const superuser = postgres.superuserUrl(name);
      await query(`insert into tenants (id, slug, name) values ('${TENANT}', 'legacy', 'Legacy Ltd')`, superuser);
      await query(
        `insert into audit_log (tenant_id, actor_type, actor_id, action, success, ip, user_agent)
         select t, 'system', 'legacy', 'legacy.row', true, '198.51.100.' || g, 'probe/' || g
         from generate_series(1, 5) g, unnest(array['${TENANT}'::uuid, null]) t`,
        superuser,
      );
      return { owner, superuser };
    }

    it("re-seals an existing log into chain 0 of each tenant, which then verifies", async () => {
      const db = await legacyDatabase("legacy_audit_ok");
      const key = parseClaimsKey(JSON.stringify(TEST_DB_CLAIMS_KEY));
      await migrateUp(db.owner, { beforeRepeatables: async () => void (await installClaimsKeys(db.owner, [key], { exclusive: true })) });
      const rows = await query<{ chain: number; chain_seq: string; sealed: boolean }>(
        "select chain, chain_seq, personal_digest is not null and personal_salt is not null as sealed from audit_log where tenant_id is not null order by id",
        db.superuser,
      );
      expect(rows).toEqual([1, 2, 3, 4, 5].map((n) => ({ chain: 0, chain_seq: String(n), sealed: true })));
      const verdict = await withClient(async (client) => {
        const signed = await signClaims({ tenant_id: TENANT, roles: ["auditor"] }, key);
        await client.query("begin");
        await client.query(SET_SIGNED_CLAIMS_SQL, [signed.claims, signed.signature]);
        const { rows } = await client.query("select checked::int, reason from app.verify_audit_chains(0, 1000)");
        await client.query("commit");
        return rows[0];
      }, db.superuser);
      expect(verdict).toEqual({ checked: 5, reason: null });
    });

    it("refuses to seal a log that was altered, naming the row", async () => {
      const db = await legacyDatabase("legacy_audit_altered");
      const [victim] = await query<{ id: string }>(
        "select id from audit_log where tenant_id is not null order by id offset 2 limit 1",
        db.superuser,
      );
      await withClient(async (client) => {
        await client.query("begin");
        await client.query("set local session_replication_role = replica");
        await client.query("update audit_log set ip = '203.0.113.1' where id = $1", [victim!.id]);
        await client.query("commit");
      }, db.superuser);
      await expect(migrateUp(db.owner)).rejects.toThrow(`audit_log row ${victim!.id} does not follow from its predecessor`);
      expect(await query("select 1 from schema_migrations where name = '0022_audit_chains'", db.superuser)).toEqual([]);
    });
  });
});
