import { sql } from "drizzle-orm";
import { can } from "../../auth/permissions";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import type { RequestFacts } from "../../domain/audit";
import { type RequestList, requestPage, requestPageQuery, type StoredRequestRow } from "../../domain/leave-requests";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";

const INBOX: RequestList = { name: "approvals", direction: "asc" };

/** The managers whose direct reports' requests the caller decides: themself (an approver), and those they act for. */
const managers = (principal: Principal) => [
  ...(can(principal, "request:approve:reports") && principal.employeeId ? [principal.employeeId] : []),
  ...(principal.actingFor ?? []),
];
/**
 * What waits for the caller's decision, oldest first: pending, unexpired requests of their direct reports and
 * of those of the managers they act for by a running delegation (or of anyone, for HR Admins and System Admins),
 * never their own nor one they recorded, not yet decided by them.
 */
export async function approvalInbox(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  query: { limit: number; cursor?: string | undefined },
) {
  const anyone = can(principal, "request:approve:any");
  const scope = anyone
    ? sql`true`
    : sql`exists (select 1 from employees e where e.id = r.employee_id and e.manager_id = any(${`{${managers(principal).join(",")}}`}::uuid[]))`;
  const where = sql`r.status = 'pending' and r.expires_at > ${new Date(facts.now).toISOString()}::timestamptz
    and r.employee_id is distinct from ${principal.employeeId}::uuid and r.submitted_by <> ${principal.userId}::uuid and ${scope}
    and not exists (select 1 from approvals a where a.request_id = r.id and a.approver_id = ${principal.userId})`;
  // Not read-only: the reasons shown are access-logged in the same transaction.
  const [page] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<StoredRequestRow>(requestPageQuery(facts, principal, INBOX, where, query.limit, query.cursor)),
  ]);
  return requestPage(config, principal, facts.now, INBOX, page.rows, query.limit);
}
