import { neon, neonConfig } from "@neondatabase/serverless";
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { tryGetContext } from "hono/context-storage";
import type { Config } from "../kernel/config";
import { DB_REQUEST_TIMEOUT_MS, DB_RETRY_DELAYS_MS, DB_STATEMENT_TIMEOUT_MS } from "../kernel/constants";
import type { AppEnv } from "../kernel/context";
import { AppError } from "../kernel/errors";
import { type Caller, claimsOf, signClaims } from "./claims";
import { classifyDbError, dbErrorToAppError } from "./errors";
import { DB_ROLES } from "./roles";
import * as schema from "./schema";

export type Db = NeonHttpDatabase<typeof schema>;
export type IsolationLevel = "ReadCommitted" | "RepeatableRead" | "Serializable";

export interface DoorOptions {
  readOnly?: boolean;
  isolation?: IsolationLevel;
  /** Defaults to the setTimeout-based sleep; tests may shorten it. */
  sleep?: (ms: number) => Promise<void>;
}

/** The results of `work`'s statements, in order (the role-and-claims statement's result left out). */
type WorkResults<T extends readonly BatchItem<"pg">[]> = BatchResponse<[BatchItem<"pg">, ...T]> extends [unknown, ...infer R] ? R : never;

/** The driver's endpoint setting is module-wide; a config without NEON_FETCH_ENDPOINT means Neon itself. */
const NEON_DEFAULT_ENDPOINT = neonConfig.fetchEndpoint;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The one way request code reaches Postgres. The caller's role and claims, and then the work, go to Neon's
 * HTTP endpoint as one batch: one round trip, one transaction. The statement that switches the role is
 * always first, so no statement of the work can run with the login role's rights or another caller's claims.
 * The claims are signed with DB_CLAIMS_KEY (src/db/claims.ts): Postgres refuses any it did not get from us.
 *
 * A batch cannot branch on its own results: work that needs to decide inside the transaction belongs in SQL
 * (CTEs, functions), which is also what keeps writes to one round trip.
 */
export async function runInDatabase<const T extends readonly BatchItem<"pg">[]>(
  config: Pick<Config, "DATABASE_URL" | "NEON_FETCH_ENDPOINT" | "DB_CLAIMS_KEY">,
  caller: Caller,
  work: (db: Db) => T,
  options: DoorOptions = {},
): Promise<WorkResults<T>> {
  const role = caller.kind === "user" ? DB_ROLES.app : DB_ROLES.system;
  const wait = options.sleep ?? sleep;
  // Undefined outside a request (the scheduled jobs, the queue consumer) and before the access log has run.
  const tally = tryGetContext<AppEnv>()?.get("database");
  for (let attempt = 0; ; attempt++) {
    // Signed for each attempt, on the wall clock (Postgres checks `exp` against its own), never the request's clock.
    const signed = await signClaims(claimsOf(caller), config.DB_CLAIMS_KEY);
    // Read synchronously when the batch is sent, so concurrent requests cannot see each other's value.
    neonConfig.fetchEndpoint = config.NEON_FETCH_ENDPOINT ?? NEON_DEFAULT_ENDPOINT;
    const client = neon(config.DATABASE_URL, {
      fetchOptions: { signal: AbortSignal.timeout(DB_REQUEST_TIMEOUT_MS) },
      readOnly: options.readOnly ?? false,
      isolationLevel: options.isolation ?? "ReadCommitted",
    });
    const db = drizzle({ client, schema });
    const enter = db.execute(
      sql`select set_config('role', ${role}, true), set_config('request.jwt.claims', ${signed.claims}, true), set_config('request.jwt.claims_signature', ${signed.signature}, true), set_config('statement_timeout', ${String(DB_STATEMENT_TIMEOUT_MS)}, true)`,
    );
    try {
      const batch = [enter, ...work(db)] as const;
      if (tally) {
        tally.roundTrips++;
        if (attempt > 0) tally.retries++;
      }
      const [, ...results] = await db.batch(batch);
      return results as WorkResults<T>;
    } catch (error) {
      // Refused while the work was being built (a bad cursor, say): the request's fault, not the database's.
      if (error instanceof AppError) throw error;
      const delay = DB_RETRY_DELAYS_MS[attempt];
      if (classifyDbError(error) === "retryable" && delay !== undefined) {
        await wait(delay);
        continue;
      }
      throw dbErrorToAppError(error);
    }
  }
}

/** One statement that selects a single value `as out`, answered as that value. */
export async function selectOut<T>(
  config: Pick<Config, "DATABASE_URL" | "NEON_FETCH_ENDPOINT" | "DB_CLAIMS_KEY">,
  caller: Caller,
  statement: SQL,
  options: DoorOptions = {},
): Promise<T> {
  const [result] = await runInDatabase(config, caller, (db) => [db.execute<{ out: T }>(statement)], options);
  return result.rows[0]!.out;
}
