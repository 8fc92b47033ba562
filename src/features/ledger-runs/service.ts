import type { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { auditAsUser, type RequestFacts } from "../../domain/audit";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import type { LedgerRun, RunPage } from "./schemas";

type AccountCheck = {
  account_id: string;
  employee_id: string;
  policy_key: string;
  snapshot_id: number | null;
  snapshot_to_date: string | null;
  snapshot_after: string | null;
  recomputed_to_date: string | null;
  recomputed_after: string | null;
  balance_from_snapshot: string;
  balance_from_entries: string;
};

/**
 * Recomputes each account's balance from all of its entries and its newest snapshot's sums from the entries
 * that snapshot covers, and reports every account where either disagrees. Deliberately reads the whole
 * history (that is the point); a page of accounts per call.
 */
export async function reconcile(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  after: string | null,
  limit: number,
  now: number,
) {
  const settled = sql.raw(`e.kind not in ('hold', 'hold_release')`);
  const [checks] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<AccountCheck>(sql`
      select a.id as account_id, a.employee_id, a.policy_key, s.id as snapshot_id,
             s.settled_to_date as snapshot_to_date, s.settled_after as snapshot_after,
             covered.to_date as recomputed_to_date, covered.later as recomputed_after,
             live.posted as balance_from_snapshot, total.posted as balance_from_entries
      from ledger_accounts a
      left join lateral (select * from balance_snapshots s where s.account_id = a.id order by s.through_entry_id desc limit 1) s on true
      left join lateral (select coalesce(sum(e.amount) filter (where e.effective_date <= s.as_of), 0) as to_date,
                                coalesce(sum(e.amount) filter (where e.effective_date > s.as_of), 0) as later
                         from ledger_entries e where s.id is not null and e.account_id = a.id and e.id <= s.through_entry_id and ${settled}) covered on s.id is not null
      cross join lateral (select coalesce(sum(e.amount), 0) as posted from ledger_entries e where e.account_id = a.id and ${settled}) total
      cross join lateral app.balance_of(a.id, null, ${new Date(now).toISOString()}::timestamptz) live
      where a.tenant_id = ${principal.tenantId} and (${after}::uuid is null or a.id > ${after}::uuid)
      order by a.id limit ${limit}`),
    auditAsUser(db, facts, principal, {
      action: "reconciliation.run",
      targetType: "tenant",
      targetId: principal.tenantId,
      success: true,
      details: { after, limit },
    }),
  ]);
  const drifted = checks.rows
    .filter(
      (r) =>
        Number(r.balance_from_snapshot) !== Number(r.balance_from_entries) ||
        (r.snapshot_id !== null &&
          (Number(r.snapshot_to_date) !== Number(r.recomputed_to_date) || Number(r.snapshot_after) !== Number(r.recomputed_after))),
    )
    .map((r) => ({
      account_id: r.account_id,
      employee_id: r.employee_id,
      policy_key: r.policy_key,
      snapshot_id: r.snapshot_id === null ? null : Number(r.snapshot_id),
      snapshot: r.snapshot_id === null ? null : { settled_to_date: Number(r.snapshot_to_date), settled_after: Number(r.snapshot_after) },
      recomputed:
        r.snapshot_id === null ? null : { settled_to_date: Number(r.recomputed_to_date), settled_after: Number(r.recomputed_after) },
      balance_from_snapshot: Number(r.balance_from_snapshot),
      balance_from_entries: Number(r.balance_from_entries),
    }));
  return {
    accounts_checked: checks.rows.length,
    drifted,
    next_after: checks.rows.length === limit ? checks.rows.at(-1)!.account_id : null,
  };
}

/** The tenant's runs, newest first, each with the run that reversed it (if any). */
export async function listRuns(
  config: Config,
  principal: Principal,
  query: { kind?: string | undefined; offset: number; limit: number },
): Promise<z.infer<typeof RunPage>> {
  const { kind, offset, limit } = query;
  const which = sql`r.tenant_id = ${principal.tenantId} and (${kind ?? null}::ledger_run_kind is null or r.kind = ${kind ?? null}::ledger_run_kind)`;
  const [rows, totals] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<{
        run: z.infer<typeof LedgerRun>;
      }>(sql`select jsonb_build_object('id', r.id, 'kind', r.kind, 'period', r.period, 'reverses_run_id', r.reverses_run_id,
        'reversed_by_run_id', (select x.id from ledger_runs x where x.reverses_run_id = r.id), 'actor_id', r.actor_id, 'summary', r.summary,
        'started_at', r.started_at) as run
      from ledger_runs r where ${which} order by r.started_at desc, r.id offset ${offset} limit ${limit}`),
      db.execute<{ total: number }>(sql`select count(*)::int as total from ledger_runs r where ${which}`),
    ],
    { readOnly: true },
  );
  return { data: rows.rows.map((r) => r.run), total: totals.rows[0]!.total, offset, limit };
}
