import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { behindRaisedVersions } from "../auth/limiter";
import { userCaller } from "../auth/principal";
import { type Db, runInDatabase } from "../db/door";
import type { Config } from "../kernel/config";
import type { Principal } from "../kernel/context";
import type { Env } from "../kernel/env";
import { AppError } from "../kernel/errors";
import { auditAsUser, type RequestFacts } from "./audit";

/** Passwords: long enough to resist guessing, short enough to bound the hashing work. */
export const NewPassword = z.string().min(12, "at least 12 characters").max(256);

const iso = (ms: number) => new Date(ms).toISOString();

/** The statement that refuses a target the caller may not manage: 404 if not in the tenant, 403 if it outranks. */
export const mayManageCheck = (db: Db, userId: string) => db.execute(sql`select app.assert_may_manage(${userId})`);

/**
 * Refuses, before anything happens, a target the caller may not manage (`app.assert_may_manage`): another
 * tenant's user is 404, one holding a role the caller may not grant is 403.
 */
export async function assertMayManage(config: Config, principal: Principal, userId: string): Promise<void> {
  await runInDatabase(config, userCaller(principal), (db) => [mayManageCheck(db, userId)], { readOnly: true });
}

/** Sets a new password or PIN hash; every session of the user ends (behind raised versions: safe to repeat). */
export async function setCredentials(
  config: Config,
  env: Env,
  facts: RequestFacts,
  principal: Principal,
  targetUserId: string,
  hashes: { passwordHash?: string; pinHash?: string },
  action: string,
): Promise<void> {
  if (principal.kind !== "user") throw new AppError("FORBIDDEN", "API keys cannot set credentials");
  await assertMayManage(config, principal, targetUserId);
  await behindRaisedVersions(env, `user:${targetUserId}`, ["sessionVersion"], facts.now, async ({ sessionVersion }) => {
    const [result] = await runInDatabase(config, userCaller(principal), (db) => [
      db.execute<{ ok: boolean }>(
        sql`select app.set_credentials(${targetUserId}, ${hashes.passwordHash ?? null}, ${hashes.pinHash ?? null}, ${sessionVersion}, ${iso(facts.now)}) as ok`,
      ),
      auditAsUser(db, facts, principal, { action, targetType: "user", targetId: targetUserId, success: true }),
    ]);
    if (!result.rows[0]?.ok) throw new AppError("FORBIDDEN", "Not allowed to set this user's credentials");
  });
}
