import type { SQL } from "drizzle-orm";
import { systemCaller } from "../db/claims";
import { selectOut } from "../db/door";
import type { Config } from "../kernel/config";

/** One statement as the scheduler for `tenantId`, answering its single value (selected `as out`). */
export function callAsScheduler<T>(config: Config, tenantId: string | undefined, statement: SQL, readOnly = false): Promise<T> {
  return selectOut<T>(config, systemCaller("scheduler", tenantId), statement, { readOnly });
}
