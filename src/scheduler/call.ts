import type { SQL } from "drizzle-orm";
import { systemCaller } from "../db/claims";
import { runInDatabase } from "../db/door";
import type { Config } from "../kernel/config";

/** One statement as the scheduler for `tenantId`, answering its single value (selected `as out`). */
export async function callAsScheduler<T>(config: Config, tenantId: string | undefined, statement: SQL, readOnly = false): Promise<T> {
  const [result] = await runInDatabase(config, systemCaller("scheduler", tenantId), (db) => [db.execute<{ out: T }>(statement)], {
    readOnly,
  });
  return result.rows[0]!.out;
}
