import { sql } from "drizzle-orm";
import { behindRaisedVersions, raiseAfterCommit } from "../../auth/limiter";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { AUDIT_COLUMNS, auditValues, type RequestFacts } from "../../domain/audit";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import type { Env } from "../../kernel/env";
import { AppError } from "../../kernel/errors";
import type { Erasure } from "./schemas";

/**
 * Erases an employee's personal and confidential data (`app.erase_employee`, one transaction). Their session
 * and permission versions rise in their Durable Object before and after, as for a deactivation, so every token
 * and API key of theirs is refused from its next request. Safe to repeat (it finishes an erasure that answered 503).
 */
export async function eraseEmployee(config: Config, env: Env, facts: RequestFacts, principal: Principal, employeeId: string) {
  if (principal.kind !== "user") throw new AppError("FORBIDDEN", "API keys cannot erase anyone's data");
  const [found] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<{ user_id: string; keys: string[] }>(sql`select e.user_id,
        array(select prefix from app.keys_acting_for(e.user_id)) as keys
        from employees e where e.id = ${employeeId}`),
    ],
    { readOnly: true },
  );
  const target = found.rows[0];
  if (!target) throw new AppError("RESOURCE_NOT_FOUND", "No such employee", { employee_id: employeeId });
  // Before the versions rise: a refusal must not end the caller's own sessions.
  if (target.user_id === principal.userId) throw new AppError("CONFLICT", "Nobody erases their own data; another System Admin must");
  const [erased] = await behindRaisedVersions(
    env,
    `user:${target.user_id}`,
    ["sessionVersion", "permissionVersion"],
    facts.now,
    ({ sessionVersion }) =>
      runInDatabase(config, userCaller(principal), (db) => [
        db.execute<{ erasure: Erasure & { revoked_key_prefixes: string[] } }>(
          sql`select app.erase_employee(${JSON.stringify({
            employee_id: employeeId,
            session_version: sessionVersion,
            now: new Date(facts.now).toISOString(),
            facts: { ip: facts.ip, user_agent: facts.userAgent, request_id: facts.requestId },
          })}::jsonb) as erasure`,
        ),
      ]),
    target.keys.map((prefix) => `apikey:${prefix}` as const),
  );
  const { revoked_key_prefixes, ...erasure } = erased.rows[0]!.erasure;
  // A key made between the first read and the erasure: its versions rise now (it is revoked already).
  for (const prefix of revoked_key_prefixes.filter((p) => !target.keys.includes(p)))
    await raiseAfterCommit(env, `apikey:${prefix}`, ["sessionVersion"], facts.now);
  return erasure;
}

type RetentionRow = { audit_years: number; confidential_years: number | null };
const RETENTION_COLUMNS = sql`audit_retention_years as audit_years, confidential_retention_years as confidential_years`;

/** The caller's tenant's retention settings. */
export async function tenantRetention(config: Config, principal: Principal): Promise<RetentionRow> {
  const [result] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [db.execute<RetentionRow>(sql`select ${RETENTION_COLUMNS} from tenants where id = ${principal.tenantId}`)],
    { readOnly: true },
  );
  return result.rows[0]!;
}

/** Changes the caller's tenant's retention (RLS: config:manage), audited with what it was and what it is. */
export async function changeRetention(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  change: Partial<RetentionRow>,
): Promise<RetentionRow> {
  const [result] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<RetentionRow>(sql`with before as (
        select ${RETENTION_COLUMNS} from tenants where id = ${principal.tenantId}
      ), changed as (
        update tenants set
          audit_retention_years = coalesce(${change.audit_years ?? null}::smallint, audit_retention_years),
          confidential_retention_years = case when ${"confidential_years" in change}::boolean then ${change.confidential_years ?? null}::smallint
                                              else confidential_retention_years end
        where id = ${principal.tenantId} returning ${RETENTION_COLUMNS}
      ), audit as (
        insert into audit_log ${AUDIT_COLUMNS}
        select ${auditValues(facts, principal, {
          action: "tenant.retention_update",
          targetType: "tenant",
          targetId: principal.tenantId,
          details: sql`jsonb_build_object('before', (select to_jsonb(b) from before b), 'after', to_jsonb(c))`,
        })} from changed c
      )
      select * from changed`),
  ]);
  const row = result.rows[0];
  if (!row) throw new AppError("FORBIDDEN", "Only a System Admin changes the tenant's retention", { permission: "config:manage" });
  return row;
}
