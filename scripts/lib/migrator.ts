import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";

/**
 * Applies `migrations/NNNN_name.sql` (drizzle-kit's output plus hand-written ones, in journal order) and
 * reverts them with their hand-written `NNNN_name.down.sql`. Each migration runs in its own transaction under
 * an advisory lock, and an applied migration whose file changed afterwards is refused.
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/", import.meta.url));
const LOCK_KEY = 7_318_004_112; // any constant; shared by every runner of this project
const BREAKPOINT = "--> statement-breakpoint";

export interface Migration {
  tag: string;
  up: string;
  down: string;
  checksum: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const journal = JSON.parse(await readFile(`${dir}/meta/_journal.json`, "utf8")) as { entries: { tag: string }[] };
  return Promise.all(
    journal.entries.map(async ({ tag }) => {
      const up = await readFile(`${dir}/${tag}.sql`, "utf8");
      const down = await readFile(`${dir}/${tag}.down.sql`, "utf8").catch(() => {
        throw new Error(`migration ${tag} has no down script (${tag}.down.sql): every migration needs one`);
      });
      return { tag, up, down, checksum: createHash("sha256").update(up).digest("hex") };
    }),
  );
}

function statements(script: string): string[] {
  return script.split(BREAKPOINT).map((s) => s.trim()).filter(Boolean);
}

async function withLockedClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [LOCK_KEY]);
    await client.query(`create table if not exists public.schema_migrations (
      name text primary key, checksum text not null, applied_at timestamptz not null default now())`);
    // Only the migration runner (owner) reads it directly; other roles get explicit policies.
    await client.query("alter table public.schema_migrations enable row level security");
    return await work(client);
  } finally {
    await client.query("select pg_advisory_unlock($1)", [LOCK_KEY]).catch(() => {});
    await client.end();
  }
}

async function applied(client: pg.Client): Promise<Map<string, string>> {
  const { rows } = await client.query<{ name: string; checksum: string }>("select name, checksum from public.schema_migrations order by name");
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

/** Applies every pending migration. Returns the tags applied. */
export async function migrateUp(databaseUrl: string, log: (line: string) => void = () => {}): Promise<string[]> {
  const migrations = await loadMigrations();
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
    return ran;
  });
}

/** Reverts the last `steps` applied migrations, newest first. Returns the tags reverted. */
export async function migrateDown(databaseUrl: string, steps: number, log: (line: string) => void = () => {}): Promise<string[]> {
  const migrations = new Map((await loadMigrations()).map((m) => [m.tag, m]));
  return withLockedClient(databaseUrl, async (client) => {
    const done = [...(await applied(client)).keys()].reverse().slice(0, steps);
    for (const tag of done) {
      const migration = migrations.get(tag);
      if (!migration) throw new Error(`applied migration ${tag} has no file in migrations/`);
      await inTransaction(client, async () => {
        for (const statement of statements(migration.down)) await client.query(statement);
        await client.query("delete from public.schema_migrations where name = $1", [tag]);
      });
      log(`reverted ${tag}`);
    }
    return done;
  });
}

export async function migrationStatus(databaseUrl: string): Promise<{ tag: string; applied: boolean }[]> {
  const migrations = await loadMigrations();
  return withLockedClient(databaseUrl, async (client) => {
    const done = await applied(client);
    return migrations.map((m) => ({ tag: m.tag, applied: done.has(m.tag) }));
  });
}
