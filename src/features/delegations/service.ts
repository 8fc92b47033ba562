import type { z } from "@hono/zod-openapi";
import { type SQL, sql } from "drizzle-orm";
import { behindRaisedVersions } from "../../auth/limiter";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { ledgerFacts, type RequestFacts } from "../../domain/audit";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import type { Env } from "../../kernel/env";
import { AppError } from "../../kernel/errors";
import type { Delegation, DelegationList, DelegationQuery, NewDelegation } from "./schemas";

type DelegationView = z.infer<typeof Delegation>;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A change of who holds a delegation raises the delegate's permission version in their Durable Object around
 * the commit (like a role change), so their very next request sees it: the user behind the delegate is read first.
 */
async function behindDelegatesVersion(
  config: Config,
  env: Env,
  facts: RequestFacts,
  principal: Principal,
  delegate: SQL,
  notFound: AppError,
  change: (payload: Record<string, unknown>) => SQL,
): Promise<DelegationView> {
  const [target] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [db.execute<{ user_id: string | null }>(sql`select app.delegation_user(${delegate}) as user_id`)],
    { readOnly: true },
  );
  const userId = target.rows[0]?.user_id;
  if (!userId) throw notFound;
  if (principal.kind !== "user" || principal.scopes.length > 0)
    throw new AppError("FORBIDDEN", "Delegations are managed by people signed in themselves, not API keys or kiosk sessions");
  return behindRaisedVersions(env, `user:${userId}`, ["permissionVersion"], facts.now, async ({ permissionVersion }) => {
    const payload = { now: iso(facts.now), facts: ledgerFacts(facts), permission_version: permissionVersion };
    const [result] = await runInDatabase(config, userCaller(principal), (db) => [
      db.execute<{ delegation: DelegationView }>(change(payload)),
    ]);
    return result.rows[0]!.delegation;
  });
}

/** Hands the caller's approvals (or, for HR, a manager's) to a colleague for a window. */
export function createDelegation(
  config: Config,
  env: Env,
  facts: RequestFacts,
  principal: Principal,
  body: z.infer<typeof NewDelegation>,
): Promise<DelegationView> {
  return behindDelegatesVersion(
    config,
    env,
    facts,
    principal,
    sql`${body.delegate_id}::uuid`,
    new AppError("RESOURCE_NOT_FOUND", "No such active employee", { delegate_id: body.delegate_id }),
    (payload) => sql`select app.create_delegation(${JSON.stringify({ ...body, ...payload })}::jsonb) as delegation`,
  );
}

/** Ends a delegation now (its delegator, its delegate, HR). */
export function revokeDelegation(config: Config, env: Env, facts: RequestFacts, principal: Principal, id: string): Promise<DelegationView> {
  return behindDelegatesVersion(
    config,
    env,
    facts,
    principal,
    sql`(select d.delegate_id from approval_delegations d where d.id = ${id}::uuid)`,
    new AppError("RESOURCE_NOT_FOUND", "No such delegation", { delegation_id: id }),
    (payload) => sql`select app.revoke_delegation(${JSON.stringify({ delegation_id: id, ...payload })}::jsonb) as delegation`,
  );
}

/** The delegations the caller gave or holds (all of the tenant's for its readers), latest start first. */
export async function listDelegations(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  query: z.infer<typeof DelegationQuery>,
): Promise<z.infer<typeof DelegationList>> {
  const now = iso(facts.now);
  const status = query.status ? sql`app.delegation_json(d, ${now}::timestamptz) ->> 'status' = ${query.status}` : sql`true`;
  const [rows, count] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<{ delegation: DelegationView }>(sql`select app.delegation_json(d, ${now}::timestamptz) as delegation
        from approval_delegations d where ${status} order by d.starts_at desc, d.id offset ${query.offset} limit ${query.limit}`),
      db.execute<{ total: number }>(sql`select count(*)::int as total from approval_delegations d where ${status}`),
    ],
    { readOnly: true },
  );
  return { data: rows.rows.map((r) => r.delegation), total: count.rows[0]!.total, offset: query.offset, limit: query.limit };
}
