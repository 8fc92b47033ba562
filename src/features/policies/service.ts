import type { z } from "@hono/zod-openapi";
import { and, desc, eq, sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { leavePolicies } from "../../db/schema";
import { AUDIT_COLUMNS, auditValues, ledgerFacts, type RequestFacts } from "../../domain/audit";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import { AppError } from "../../kernel/errors";
import type { PolicyRules, PolicySchema } from "./schemas";

type Rules = z.infer<typeof PolicyRules>;
type PolicyRow = typeof leavePolicies.$inferSelect;

export function policyView(row: PolicyRow): z.infer<typeof PolicySchema> {
  return {
    id: row.id,
    key: row.key,
    version: row.version,
    name: row.name,
    category: row.category,
    unit: row.unit,
    tracking: row.tracking,
    accrual: { period: row.accrualPeriod, amount: row.accrualAmount, year: row.accrualYear },
    max_balance: row.maxBalance,
    carryover: { cap: row.carryoverCap, expiry_months: row.carryoverExpiryMonths },
    negative_allowance: row.negativeAllowance,
    waiting_period_days: row.waitingPeriodDays,
    approvals_required: row.approvalsRequired,
    approval_ttl_hours: row.approvalTtlHours,
    managers_may_record: row.managersMayRecord,
    effective_from: row.effectiveFrom,
    created_at: row.createdAt.toISOString(),
  };
}

function columns(rules: Rules) {
  return {
    name: rules.name,
    category: rules.category,
    unit: rules.unit,
    tracking: rules.tracking,
    accrualPeriod: rules.accrual.period,
    accrualAmount: rules.accrual.amount,
    accrualYear: rules.accrual.year,
    maxBalance: rules.max_balance,
    carryoverCap: rules.carryover.cap,
    carryoverExpiryMonths: rules.carryover.expiry_months,
    negativeAllowance: rules.negative_allowance,
    waitingPeriodDays: rules.waiting_period_days,
    approvalsRequired: rules.approvals_required,
    approvalTtlHours: rules.approval_ttl_hours,
    managersMayRecord: rules.managers_may_record,
    effectiveFrom: rules.effective_from,
  };
}

/**
 * A new policy (version 1) or the next version of an existing one, in one statement: the version is computed
 * from the ones already there, and two concurrent writers of the same version collide on the unique key.
 */
export async function writePolicyVersion(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  key: string,
  rules: Rules,
  mode: "create" | "revise",
) {
  const [existing] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db
        .select({
          version: leavePolicies.version,
          tracking: leavePolicies.tracking,
          accrualPeriod: leavePolicies.accrualPeriod,
          accrualYear: leavePolicies.accrualYear,
        })
        .from(leavePolicies)
        .where(eq(leavePolicies.key, key))
        .orderBy(desc(leavePolicies.version)),
    ],
    { readOnly: true },
  );
  const latest = existing[0]?.version ?? 0;
  if (mode === "create" && latest > 0) throw new AppError("CONFLICT", "A policy with this key exists; add a version instead", { key });
  if (mode === "revise" && latest === 0) throw new AppError("RESOURCE_NOT_FOUND", "No such policy", { key });
  // One account's balance sums every version's entries: a tracked balance cannot become unlimited, nor the reverse.
  if (mode === "revise" && existing[0]!.tracking !== rules.tracking)
    throw new AppError("CONFLICT", "A revision keeps the policy's tracking; create a policy with a new key instead", {
      key,
      tracking: existing[0]!.tracking,
    });
  // Calendar and anniversary years overlap and are named apart: switching would grant the same months twice.
  const yearly = existing.find((v) => v.accrualPeriod === "yearly");
  if (mode === "revise" && rules.accrual.period === "yearly" && yearly && yearly.accrualYear !== rules.accrual.year)
    throw new AppError("CONFLICT", "A revision keeps where the policy's allowance year begins; create a policy with a new key instead", {
      key,
      year: yearly.accrualYear,
    });
  const [inserted] = await runInDatabase(config, userCaller(principal), (db) => [
    db
      .insert(leavePolicies)
      // On the request's clock, as ledger entries' recorded_at: what balances known at a time read (app.balance_known_at).
      .values({
        tenantId: principal.tenantId,
        key,
        version: latest + 1,
        createdBy: principal.userId,
        createdAt: new Date(facts.now),
        ...columns(rules),
      })
      .returning(),
    db.execute(
      sql`insert into audit_log ${AUDIT_COLUMNS} values (${auditValues(facts, principal, { action: mode === "create" ? "policy.create" : "policy.revise", targetType: "policy", targetId: `${key}@${latest + 1}` })})`,
    ),
  ]);
  return inserted[0]!;
}

/** Every version of a policy, newest first. */
export async function policyVersions(config: Config, principal: Principal, key: string) {
  const [rows] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db
        .select()
        .from(leavePolicies)
        .where(and(eq(leavePolicies.tenantId, principal.tenantId), eq(leavePolicies.key, key)))
        .orderBy(desc(leavePolicies.version)),
    ],
    { readOnly: true },
  );
  return rows;
}

/** The newest version of every policy of the tenant. */
export async function currentPolicies(config: Config, principal: Principal) {
  const [rows] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db
        .selectDistinctOn([leavePolicies.key])
        .from(leavePolicies)
        .where(eq(leavePolicies.tenantId, principal.tenantId))
        .orderBy(leavePolicies.key, desc(leavePolicies.version)),
    ],
    { readOnly: true },
  );
  return rows;
}

/**
 * Assigns a policy to employees in bulk, or ends their assignments, in one statement: only employees of the
 * caller's tenant (RLS), only an existing policy, and already-assigned employees are left as they are.
 */
export async function changeAssignments(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  key: string,
  employeeIds: string[],
  change: { startsOn: string } | { endsOn: string },
) {
  const ids = sql`${`{${employeeIds.join(",")}}`}::uuid[]`;
  const statement =
    "startsOn" in change
      ? sql`insert into policy_assignments (tenant_id, employee_id, policy_key, starts_on, created_by)
            select e.tenant_id, e.id, ${key}, ${change.startsOn}::date, ${principal.userId}::uuid from employees e
            where e.id = any(${ids}) and exists (select 1 from leave_policies p where p.key = ${key})
              and not exists (select 1 from policy_assignments a where a.employee_id = e.id and a.policy_key = ${key} and a.ends_on is null)
            returning employee_id`
      : sql`update policy_assignments set ends_on = ${change.endsOn}::date
            where employee_id = any(${ids}) and policy_key = ${key} and ends_on is null and starts_on <= ${change.endsOn}::date
            returning employee_id`;
  const action = "startsOn" in change ? "policy.assign" : "policy.unassign";
  const [result] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<{ policy_exists: boolean; employee_ids: string[] }>(sql`
      with changed as (${statement}),
      audit as (insert into audit_log ${AUDIT_COLUMNS}
                select ${auditValues(facts, principal, { action, targetType: "employee", targetId: sql`employee_id::text`, details: { policy_key: key, ...change } })} from changed returning id)
      select exists (select 1 from leave_policies where key = ${key}) as policy_exists,
             coalesce((select array_agg(employee_id) from changed), '{}') as employee_ids`),
    // Every assigned employee has an account to post to and lock, and what is already due is posted now.
    db.execute(
      "startsOn" in change
        ? sql`select app.open_accounts(${key}, ${ids}, ${new Date(facts.now).toISOString()}::timestamptz, ${JSON.stringify(ledgerFacts(facts))}::jsonb)`
        : sql`select`,
    ),
  ]);
  const row = result.rows[0]!;
  if (!row.policy_exists) throw new AppError("RESOURCE_NOT_FOUND", "No such policy", { key });
  return row.employee_ids;
}
