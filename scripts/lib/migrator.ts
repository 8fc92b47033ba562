import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { DB_ROLES } from "../../src/db/roles";
import { revertStatements, snapshotCatalog } from "./catalog";

/**
 * Two kinds of migrations, applied in this order under one advisory lock, each in its own transaction:
 *
 * - Versioned: `migrations/NNNN_name.sql` (drizzle-kit's output plus hand-written ones, in journal order),
 *   reverted by their hand-written `NNNN_name.down.sql`. An applied one whose file changed is refused.
 * - Repeatable: `migrations/functions/NN_concern.sql`, the one current definition of every SQL function,
 *   view and trigger (`CREATE OR REPLACE`), in file-name order. A file is applied again whenever its checksum
 *   differs from its last application. Each application records the statements that undo it, read from the
 *   catalog before and after, so a rollback restores exactly the definitions, owners and grants it replaced.
 *
 * History is a list of steps, newest last: each versioned migration, followed by the repeatable applications
 * made after it. `migrateDown(n)` undoes the newest n steps.
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/", import.meta.url));
export const REPEATABLES_FOLDER = "functions";
const LOCK_KEY = 7_318_004_112; // any constant; shared by every runner of this project
const BREAKPOINT = "--> statement-breakpoint";

export interface Migration {
  tag: string;
  up: string;
  down: string;
  checksum: string;
}

export interface Repeatable {
  /** `functions/NN_concern.sql`: the step's name in logs and in the history. */
  name: string;
  body: string;
  checksum: string;
}

export interface MigratorOptions {
  log?: (line: string) => void;
  /** The migrations folder (tests use copies). */
  dir?: string;
  /**
   * Runs after the versioned migrations and before the repeatables, under the same lock: what the new functions
   * need in place the moment they apply (`npm run db:migrate` installs DB_CLAIMS_KEY here, so the claims check
   * of functions/10_claims.sql never runs without the Worker's key).
   */
  beforeRepeatables?: () => Promise<void>;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const journal = JSON.parse(await readFile(`${dir}/meta/_journal.json`, "utf8")) as { entries: { tag: string }[] };
  return Promise.all(
    journal.entries.map(async ({ tag }) => {
      const up = await readFile(`${dir}/${tag}.sql`, "utf8");
      const down = await readFile(`${dir}/${tag}.down.sql`, "utf8").catch(() => {
        throw new Error(`migration ${tag} has no down script (${tag}.down.sql): every migration needs one`);
      });
      return { tag, up, down, checksum: sha256(up) };
    }),
  );
}

export async function loadRepeatables(dir = MIGRATIONS_DIR): Promise<Repeatable[]> {
  const files = (await readdir(`${dir}/${REPEATABLES_FOLDER}`)).filter((f) => f.endsWith(".sql")).sort();
  return Promise.all(
    files.map(async (file) => {
      const body = await readFile(`${dir}/${REPEATABLES_FOLDER}/${file}`, "utf8");
      return { name: `${REPEATABLES_FOLDER}/${file}`, body, checksum: sha256(body) };
    }),
  );
}

function statements(script: string): string[] {
  return script
    .split(BREAKPOINT)
    .map((s) => s.trim())
    .filter(Boolean);
}

async function withLockedClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [LOCK_KEY]);
    await client.query(`create table if not exists public.schema_migrations (
      name text primary key, checksum text not null, applied_at timestamptz not null default now())`);
    await client.query(`create table if not exists public.schema_repeatables (
      seq bigint generated always as identity primary key, name text not null, checksum text not null,
      after_migration text, revert text[] not null, applied_at timestamptz not null default now())`);
    // Only the migration runner (owner) reads them directly; other roles get explicit policies.
    await client.query("alter table public.schema_migrations enable row level security");
    await client.query("alter table public.schema_repeatables enable row level security");
    return await work(client);
  } finally {
    await client.query("select pg_advisory_unlock($1)", [LOCK_KEY]).catch(() => {});
    await client.end();
  }
}

async function applied(client: pg.Client): Promise<Map<string, string>> {
  const { rows } = await client.query<{ name: string; checksum: string }>(
    "select name, checksum from public.schema_migrations order by name",
  );
  return new Map(rows.map((r) => [r.name, r.checksum]));
}

async function inTransaction(client: pg.Client, work: () => Promise<void>): Promise<void> {
  await client.query("begin");
  try {
    await work();
    await client.query("commit");
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}

/** The checksum of each repeatable's current application. */
async function appliedRepeatables(client: pg.Client): Promise<Map<string, string>> {
  const { rows } = await client.query<{ name: string; checksum: string }>(
    "select distinct on (name) name, checksum from public.schema_repeatables order by name, seq desc",
  );
  return new Map(rows.map((r) => [r.name, r.checksum]));
}

/** Applies every pending versioned migration, then every repeatable that changed. Returns the steps applied. */
export async function migrateUp(
  databaseUrl: string,
  { log = () => {}, dir = MIGRATIONS_DIR, beforeRepeatables }: MigratorOptions = {},
): Promise<string[]> {
  const [migrations, repeatables] = await Promise.all([loadMigrations(dir), loadRepeatables(dir)]);
  return withLockedClient(databaseUrl, async (client) => {
    const done = await applied(client);
    const ran: string[] = [];
    for (const migration of migrations) {
      const checksum = done.get(migration.tag);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) throw new Error(`migration ${migration.tag} was changed after it was applied`);
        continue;
      }
      await inTransaction(client, async () => {
        for (const statement of statements(migration.up)) await client.query(statement);
        await client.query("insert into public.schema_migrations (name, checksum) values ($1, $2)", [migration.tag, migration.checksum]);
      });
      log(`applied ${migration.tag}`);
      ran.push(migration.tag);
    }
    await beforeRepeatables?.();
    const after = migrations.filter((m) => done.has(m.tag) || ran.includes(m.tag)).at(-1)?.tag ?? null;
    const current = await appliedRepeatables(client);
    for (const repeatable of repeatables) {
      if (current.get(repeatable.name) === repeatable.checksum) continue;
      await inTransaction(client, async () => {
        const before = await snapshotCatalog(client);
        await client.query(repeatable.body);
        const revert = revertStatements(before, await snapshotCatalog(client));
        await client.query("insert into public.schema_repeatables (name, checksum, after_migration, revert) values ($1, $2, $3, $4)", [
          repeatable.name,
          repeatable.checksum,
          after,
          revert,
        ]);
      });
      log(`applied ${repeatable.name}`);
      ran.push(repeatable.name);
    }
    return ran;
  });
}

type Step = { kind: "versioned"; name: string } | { kind: "repeatable"; name: string; seq: number; revert: string[] };

/** Every applied step, oldest first: each versioned migration followed by the repeatables applied after it. */
async function history(client: pg.Client): Promise<Step[]> {
  const versioned = [...(await applied(client)).keys()];
  const { rows } = await client.query<{ seq: string; name: string; after_migration: string | null; revert: string[] }>(
    "select seq, name, after_migration, revert from public.schema_repeatables order by seq",
  );
  const repeatablesAfter = (tag: string | null): Step[] =>
    rows.filter((r) => r.after_migration === tag).map((r) => ({ kind: "repeatable", name: r.name, seq: Number(r.seq), revert: r.revert }));
  return [...repeatablesAfter(null), ...versioned.flatMap((tag): Step[] => [{ kind: "versioned", name: tag }, ...repeatablesAfter(tag)])];
}

/**
 * Undoes the newest `steps` steps, newest first: a versioned migration by its down script, a repeatable's
 * application by the statements recorded with it (which bring back the previous definitions). Returns them.
 */
export async function migrateDown(
  databaseUrl: string,
  steps: number,
  { log = () => {}, dir = MIGRATIONS_DIR }: MigratorOptions = {},
): Promise<string[]> {
  const migrations = new Map((await loadMigrations(dir)).map((m) => [m.tag, m]));
  return withLockedClient(databaseUrl, async (client) => {
    const undo = (await history(client)).reverse().slice(0, steps);
    for (const step of undo) {
      await inTransaction(client, async () => {
        if (step.kind === "repeatable") {
          // Earlier definitions are restored as they were; their bodies were checked when first created. A function
          // recreated for the definer is handed over as the files do it: while the definer may create in the schema.
          await client.query("set local check_function_bodies = off");
          await client.query(`grant create on schema app to ${DB_ROLES.definer}`);
          for (const statement of step.revert) await client.query(statement);
          await client.query(`revoke create on schema app from ${DB_ROLES.definer}`);
          await client.query("delete from public.schema_repeatables where seq = $1", [step.seq]);
          return;
        }
        const migration = migrations.get(step.name);
        if (!migration) throw new Error(`applied migration ${step.name} has no file in migrations/`);
        for (const statement of statements(migration.down)) await client.query(statement);
        await client.query("delete from public.schema_migrations where name = $1", [step.name]);
      });
      log(`reverted ${step.name}`);
    }
    return undo.map((step) => step.name);
  });
}

export type StepStatus = "applied" | "pending" | "changed" | "orphaned";

/**
 * Each versioned migration and each repeatable: applied, pending (never applied), changed since applied, or
 * orphaned (applied, but its file is gone: its objects stay until a migration drops them).
 */
export async function migrationStatus(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<{ name: string; status: StepStatus }[]> {
  const [migrations, repeatables] = await Promise.all([loadMigrations(dir), loadRepeatables(dir)]);
  return withLockedClient(databaseUrl, async (client) => {
    const done = await applied(client);
    const current = await appliedRepeatables(client);
    return [
      ...migrations.map((m) => ({ name: m.tag, status: done.has(m.tag) ? ("applied" as const) : ("pending" as const) })),
      ...repeatables.map((r) => {
        const checksum = current.get(r.name);
        return {
          name: r.name,
          status: checksum === undefined ? ("pending" as const) : checksum === r.checksum ? ("applied" as const) : ("changed" as const),
        };
      }),
      ...[...current.keys()]
        .filter((name) => !repeatables.some((r) => r.name === name))
        .map((name) => ({ name, status: "orphaned" as const })),
    ];
  });
}
