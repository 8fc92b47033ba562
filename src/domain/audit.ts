import { SQL, sql } from "drizzle-orm";
import type { RequestFacts } from "../auth/security-signals";
import type { Db } from "../db/door";
import { auditLog } from "../db/schema";
import type { Principal } from "../kernel/context";

/**
 * Writing audit rows, always inside the transaction of the change they record. As the caller under RLS (a
 * user or API key may only write rows as itself, in its tenant), or through `app.audit_system` for work with
 * no caller (failed logins).
 */
export { type RequestFacts, requestFacts } from "../auth/security-signals";

interface SystemAudit {
  tenantId: string | null;
  actorType: "user" | "anonymous" | "system";
  actorId: string | null;
  action: string;
  targetType?: string;
  targetId?: string | null;
  success: boolean;
  details?: Record<string, unknown>;
}

/** The request's facts as the ledger's database functions take them (`p_facts`, audited by `app.audit_ledger`). */
export function ledgerFacts(facts: RequestFacts) {
  return { ip: facts.ip, user_agent: facts.userAgent, request_id: facts.requestId };
}

/** An audit row written by a system caller (there is no user to act as yet, or any more). */
export function auditAsSystem(db: Db, facts: RequestFacts, row: SystemAudit) {
  return db.execute(sql`select app.audit_system(${row.tenantId}, ${row.actorType}, ${row.actorId}, ${row.action}, ${row.targetType ?? null},
    ${row.targetId ?? null}, ${row.success}, ${facts.ip}, ${facts.userAgent}, ${facts.requestId}, ${JSON.stringify(row.details ?? {})}::jsonb)`);
}

/** A key acts for its creator (`actor_id`, with `actor_type` api_key); which key it was goes into the details. */
const withKey = (principal: Principal, details: Record<string, unknown> = {}) =>
  principal.keyId ? { ...details, api_key_id: principal.keyId } : details;

/** An audit row written as the acting user (or key, for its creator), under RLS. */
export function auditAsUser(
  db: Db,
  facts: RequestFacts,
  principal: Principal,
  row: Omit<SystemAudit, "tenantId" | "actorType" | "actorId">,
) {
  return db.insert(auditLog).values({
    tenantId: principal.tenantId,
    actorType: principal.kind,
    actorId: principal.userId,
    action: row.action,
    targetType: row.targetType ?? null,
    targetId: row.targetId ?? null,
    success: row.success,
    ip: facts.ip,
    userAgent: facts.userAgent,
    requestId: facts.requestId,
    details: withKey(principal, row.details),
  });
}

/**
 * For a statement that decides itself whether to write the row (`insert into audit_log ${AUDIT_COLUMNS}
 * select ${auditValues(…)} from <rows that changed>`): the values of a successful action by the caller.
 * `targetId` may be SQL, such as a column of those rows, and so may `details` (a jsonb expression).
 */
export function auditValues(
  facts: RequestFacts,
  principal: Principal,
  row: {
    action: string;
    targetType: string;
    targetId: SQL | string;
    details?: Record<string, unknown> | SQL;
    /** Facts about a person (erased with them; the chain covers them only through a salted digest). */
    personalDetails?: Record<string, unknown>;
  },
) {
  const details =
    row.details instanceof SQL
      ? sql`${row.details} || ${JSON.stringify(withKey(principal))}::jsonb`
      : sql`${JSON.stringify(withKey(principal, row.details))}::jsonb`;
  const personal = row.personalDetails ? JSON.stringify(row.personalDetails) : null;
  return sql`${principal.tenantId}::uuid, ${principal.kind}, ${principal.userId}, ${row.action}, ${row.targetType}, ${row.targetId}, true, ${facts.ip}, ${facts.userAgent}, ${facts.requestId}, ${details}, ${personal}::jsonb`;
}

export const AUDIT_COLUMNS = sql.raw(
  "(tenant_id, actor_type, actor_id, action, target_type, target_id, success, ip, user_agent, request_id, details, personal_details)",
);

/**
 * The access log of a read of confidential fields, as a CTE of the reading statement: from its CTE `page` (`p`,
 * with `id` and `employee_id`), the rows `shown` select, one `confidential.read` row per other person, naming
 * what was read and the ids. Reads of one's own data are not logged.
 */
export function logConfidentialReads(facts: RequestFacts, principal: Principal, read: string, shown: SQL) {
  return sql`insert into audit_log ${AUDIT_COLUMNS}
    select ${auditValues(facts, principal, {
      action: "confidential.read",
      targetType: "employee",
      targetId: sql`p.employee_id::text`,
      details: sql`jsonb_build_object('read', ${read}::text, 'ids', jsonb_agg(p.id order by p.id))`,
    })}
    from page p where ${shown} and p.employee_id is distinct from ${principal.employeeId}::uuid
    group by p.employee_id`;
}
