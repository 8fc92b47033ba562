import { sql } from "drizzle-orm";
import { behindRaisedVersions } from "../../auth/limiter";
import { can } from "../../auth/permissions";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { employees, roleAssignments, users } from "../../db/schema";
import { AUDIT_COLUMNS, auditAsUser, auditValues, type RequestFacts } from "../../domain/audit";
import { assertMayManage, mayManageCheck } from "../../domain/credentials";
import type { Role } from "../../kernel/access";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import type { Env } from "../../kernel/env";
import { AppError } from "../../kernel/errors";

const notFound = () => new AppError("RESOURCE_NOT_FOUND", "No such user");
const iso = (ms: number) => new Date(ms).toISOString();

type ChangeRow = { found: number; changed: number };

/**
 * Refuses a target the caller may not manage (404 or 403), before anything happens; else the rate-limit keys of
 * the API keys acting for them, which the change may stop too.
 */
async function managedTarget(config: Config, principal: Principal, userId: string) {
  const [, keys] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [mayManageCheck(db, userId), db.execute<{ prefix: string }>(sql`select prefix from app.keys_acting_for(${userId})`)],
    { readOnly: true },
  );
  return keys.rows.map((k) => `apikey:${k.prefix}` as const);
}

/**
 * Adds or removes a role, in one round trip: refuse a target the caller may not manage (404 or 403), then find
 * the user, change, raise the version, audit — or nothing (RLS decides who may; the last System Admin keeps the
 * role). The user's permission version rises in their Durable Object before and after, so their very next
 * request loads the new roles instead of a cached entry. Repeating it is harmless (and finishes it after a 503).
 */
export async function changeRole(
  config: Config,
  env: Env,
  facts: RequestFacts,
  principal: Principal,
  targetUserId: string,
  role: Role,
  operation: "assign" | "remove",
): Promise<{ changed: boolean }> {
  if (role === "system_admin" && !can(principal, "role:assign:system_admin")) {
    throw new AppError("FORBIDDEN", "Only a System Admin may grant or remove System Admin", { permission: "role:assign:system_admin" });
  }
  const change =
    operation === "assign"
      ? sql`insert into role_assignments (tenant_id, user_id, role, granted_by)
            select tenant_id, id, ${role}::app_role, ${principal.userId}::uuid from target on conflict do nothing returning user_id`
      : sql`delete from role_assignments where user_id in (select id from target) and role = ${role}::app_role returning user_id`;
  // Keys of the target that need the role they lose stop working too (a key never does more than its creator).
  const keys = operation === "remove" ? await managedTarget(config, principal, targetUserId) : [];
  const [, result] = await behindRaisedVersions(
    env,
    `user:${targetUserId}`,
    ["permissionVersion"],
    facts.now,
    ({ permissionVersion }) =>
      runInDatabase(config, userCaller(principal), (db) => [
        mayManageCheck(db, targetUserId),
        db.execute<ChangeRow>(sql`
      with target as (select id, tenant_id from users where id = ${targetUserId}),
      change as (${change}),
      bump as (update users set permission_version = greatest(permission_version, ${permissionVersion}) where id in (select user_id from change) returning id),
      audit as (insert into audit_log ${AUDIT_COLUMNS} select ${auditValues(facts, principal, { action: `role.${operation}`, targetType: "user", targetId: targetUserId, details: { role } })} from target returning id)
      select (select count(*)::int from target) as found, (select count(*)::int from change) as changed`),
      ]),
    keys,
  );
  const row = result.rows[0]!;
  if (row.found === 0) throw notFound();
  return { changed: row.changed > 0 };
}

/**
 * Deactivates a user: Postgres records the status, revokes refresh tokens and raises its session version; the
 * session and permission versions rise in their Durable Object before and after, so every access token — ours
 * or an external issuer's, however fresh — is refused on its next request, and so is every API key acting for
them. Repeating it is harmless.
 */
export async function deactivate(config: Config, env: Env, facts: RequestFacts, principal: Principal, targetUserId: string): Promise<void> {
  if (targetUserId === principal.userId) throw new AppError("CONFLICT", "You cannot deactivate yourself");
  const keys = await managedTarget(config, principal, targetUserId);
  await behindRaisedVersions(
    env,
    `user:${targetUserId}`,
    ["sessionVersion", "permissionVersion"],
    facts.now,
    (raised) =>
      runInDatabase(config, userCaller(principal), (db) => [
        db.execute(sql`
      with target as (select id from users where id = ${targetUserId}),
      changed as (update users set status = 'deactivated', updated_at = ${iso(facts.now)} where id in (select id from target) returning id),
      sessions as (select app.end_all_sessions(id, ${raised.sessionVersion}, ${iso(facts.now)}) from changed),
      audit as (insert into audit_log ${AUDIT_COLUMNS} select ${auditValues(facts, principal, { action: "user.deactivate", targetType: "user", targetId: targetUserId })} from changed returning id)
      select (select count(*) from sessions) as sessions, (select count(*) from audit) as audited`),
      ]),
    keys,
  );
}

export interface NewUser {
  email: string;
  displayName: string;
  employeeNumber: string;
  managerId: string | null;
  timeZone: string;
  hireDate: string;
  roles: Role[];
}

/** Creates a user with their employee record and roles, in one transaction, audited. */
export async function createUser(config: Config, facts: RequestFacts, principal: Principal, input: NewUser) {
  if (input.roles.includes("system_admin") && !can(principal, "role:assign:system_admin")) {
    throw new AppError("FORBIDDEN", "Only a System Admin may grant System Admin", { permission: "role:assign:system_admin" });
  }
  const userId = crypto.randomUUID();
  const employeeId = crypto.randomUUID();
  const tenantId = principal.tenantId;
  await runInDatabase(config, userCaller(principal), (db) => [
    db.insert(users).values({ id: userId, tenantId, email: input.email, displayName: input.displayName }),
    db.insert(employees).values({
      id: employeeId,
      tenantId,
      userId,
      employeeNumber: input.employeeNumber,
      managerId: input.managerId,
      timeZone: input.timeZone,
      hireDate: input.hireDate,
    }),
    db.insert(roleAssignments).values(input.roles.map((role) => ({ tenantId, userId, role, grantedBy: principal.userId }))),
    auditAsUser(db, facts, principal, {
      action: "user.create",
      targetType: "user",
      targetId: userId,
      success: true,
      details: { roles: input.roles },
    }),
  ]);
  return { userId, employeeId };
}

/**
 * Links a user to the subject of the tenant's external issuer (or, with null, unlinks them): another way in to
 * their account, so every session of theirs ends, behind raised versions, as on a password reset. A subject held
 * by another user of the tenant is a 409 (unique). HR Admins and System Admins, for those they may manage; not
 * API keys. Audited, the subject as a personal detail.
 */
export async function setExternalSubject(
  config: Config,
  env: Env,
  facts: RequestFacts,
  principal: Principal,
  targetUserId: string,
  subject: string | null,
): Promise<void> {
  if (principal.kind !== "user") throw new AppError("FORBIDDEN", "API keys cannot link identities");
  await assertMayManage(config, principal, targetUserId);
  const action = subject === null ? "user.external_identity_unlink" : "user.external_identity_link";
  await behindRaisedVersions(env, `user:${targetUserId}`, ["sessionVersion"], facts.now, ({ sessionVersion }) =>
    runInDatabase(config, userCaller(principal), (db) => [
      db.execute(sql`
      with changed as (update users set external_subject = ${subject}, updated_at = ${iso(facts.now)} where id = ${targetUserId} returning id),
      sessions as (select app.end_all_sessions(id, ${sessionVersion}, ${iso(facts.now)}) from changed),
      audit as (insert into audit_log ${AUDIT_COLUMNS} select ${auditValues(facts, principal, { action, targetType: "user", targetId: targetUserId, ...(subject === null ? {} : { personalDetails: { subject } }) })} from changed returning id)
      select (select count(*) from sessions) as sessions, (select count(*) from audit) as audited`),
    ]),
  );
}
