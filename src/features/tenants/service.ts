import { sql } from "drizzle-orm";
import { systemCaller } from "../../db/claims";
import { runInDatabase } from "../../db/door";
import type { Config } from "../../kernel/config";
import type { TenantProfile } from "./schemas";

/** The public profile of an active tenant, read through the `tenant-directory` system caller. */
export async function findTenantProfile(config: Config, slug: string): Promise<TenantProfile | null> {
  const [result] = await runInDatabase(
    config,
    systemCaller("tenant-directory"),
    (db) => [db.execute<TenantProfile>(sql`select id, slug, name from app.tenant_directory(${slug})`)],
    { readOnly: true },
  );
  return result.rows[0] ?? null;
}
