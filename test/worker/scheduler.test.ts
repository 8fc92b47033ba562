import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { beforeEach, expect, it } from "vitest";
import { ACME, GLOBEX } from "../../scripts/lib/seed-data";
import worker from "../../src/index";
import { loadConfig } from "../../src/kernel/config";
import { IDEMPOTENCY_RETENTION_HOURS } from "../../src/kernel/constants";
import { runDailyWork } from "../../src/scheduler/daily";
import { authApp } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { captureLogs, recordingMetrics, resetDatabase, resetEdgeState, superuserSql, testEnv } from "../support/worker/harness";
import { ledgerWorld, TUESDAY_NOON } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const emma = people.emma.employeeId;

it("the daily Cron Trigger expires overdue holds, forgets old idempotency keys and posts due accruals, repeatably", async () => {
  // The assignment starts after today: the daily job posts the year's prorated allowance once it has.
  const w = await ledgerWorld({
    grant: 3,
    policy: { accrual: { period: "yearly", amount: 20 }, approval_ttl_hours: 24 },
    startsOn: "2026-11-26",
    assign: [emma],
  });
  const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
  const twoDaysLater = TUESDAY_NOON + (IDEMPOTENCY_RETENTION_HOURS + 24) * 3_600_000;

  const { points, METRICS } = recordingMetrics();
  const logs = await captureLogs(async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: twoDaysLater, cron: "5 0 * * *" }), { ...testEnv, METRICS }, ctx);
    await waitOnExecutionContext(ctx);
  });
  // One data point per tenant: accruals posted, employees, holds expired (docs/operations.md, "Metrics").
  const acmePoint = points.find((p) => p.blobs?.[0] === "job" && p.indexes?.[0] === ACME.id);
  expect(acmePoint).toMatchObject({ blobs: ["job", "daily", "finished", "", ""] });
  expect(acmePoint!.doubles!.slice(0, 3)).toEqual([1, expect.any(Number), 1]);
  expect(points.filter((p) => p.blobs?.[0] === "job")).toHaveLength(2);
  const done = logs.filter((l) => l.event === "scheduled_tenant_done");
  expect(done.map((l) => l.tenant_id).sort()).toEqual([ACME.id, GLOBEX.id].sort());
  // The grant's key and the submission's key are past the retention.
  expect(done.find((l) => l.tenant_id === ACME.id)).toMatchObject({
    expired_requests: 1,
    forgotten_idempotency_keys: 2,
    accruals: 1,
    finished: true,
  });

  const [row] = (await superuserSql()`select status from leave_requests where id = ${request.id}`) as [{ status: string }];
  expect(row.status).toBe("expired");
  expect(await superuserSql()`select count(*)::int as n from idempotency_keys`).toEqual([{ n: 0 }]);
  // 26 November to 31 December: 36 of 365 days, 20 × 36 / 365 = 1.97 → 2.
  expect(
    await superuserSql()`select effective_date::text as day, amount::float as amount from ledger_entries where kind = 'accrual'`,
  ).toEqual([{ day: "2026-11-26", amount: 2 }]);

  // Run again (a retried or overlapping trigger): nothing more.
  const config = loadConfig(testEnv);
  if (!config.ok) throw new Error("test config invalid");
  const again = await runDailyWork(config.config, twoDaysLater);
  expect(again.map((r) => r.accruals + r.expired_requests)).toEqual(again.map(() => 0));
  expect(await superuserSql()`select count(*)::int as n from audit_log where action = 'request.expire'`).toEqual([{ n: 1 }]);
});

it("the sweep deletes refresh tokens once they have expired, keeps live ones, and audits what it did", async () => {
  const api = authApp();
  await api.tokens(people.emma.email);
  const eightDaysLater = TUESDAY_NOON + 8 * 86_400_000;
  api.clock.advance(8 * 86_400_000);
  const live = await api.tokens(people.mike.email);
  const before =
    (await superuserSql()`select count(*)::int as n from refresh_tokens where expires_at < ${new Date(eightDaysLater).toISOString()}`) as [
      { n: number },
    ];
  expect(before[0].n).toBeGreaterThan(0);

  const config = loadConfig(testEnv);
  if (!config.ok) throw new Error("test config invalid");
  const runs = await runDailyWork(config.config, eightDaysLater);
  expect(runs.find((r) => r.tenant_id === ACME.id)?.deleted_refresh_tokens).toBe(before[0].n);
  expect(
    await superuserSql()`select count(*)::int as n from refresh_tokens where expires_at < ${new Date(eightDaysLater).toISOString()}`,
  ).toEqual([{ n: 0 }]);
  const refreshed = await api.postJson("/v1/auth/refresh", { refresh_token: live.refresh_token });
  expect(refreshed.status).toBe(200);
  const [audit] =
    (await superuserSql()`select actor_id, details from audit_log where action = 'retention.sweep' and tenant_id = ${ACME.id}`) as [
      { actor_id: string; details: Record<string, number> },
    ];
  expect(audit).toMatchObject({ actor_id: "system:scheduler", details: { deleted_refresh_tokens: before[0].n } });
});

it("audit rows older than the tenant's retention (7 years unless it says otherwise) are purged behind signed checkpoints; the chains still verify", async () => {
  const now = TUESDAY_NOON;
  const [{ years }] = (await superuserSql()`select audit_retention_years as years from tenants where id = ${ACME.id}`) as [
    { years: number },
  ];
  expect(years).toBe(7);
  const cutoff = new Date(now);
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - years);
  const older = new Date(cutoff.getTime() - 86_400_000).toISOString();
  await superuserSql()`insert into audit_log (tenant_id, occurred_at, actor_type, actor_id, action, success)
    select ${ACME.id}, ${older}::timestamptz, 'system', 'test', 'test.ancient', true from generate_series(1, 5)`;
  await superuserSql()`insert into audit_log (tenant_id, actor_type, actor_id, action, success) values (${ACME.id}, 'system', 'test', 'test.recent', true)`;
  const config = loadConfig(testEnv);
  if (!config.ok) throw new Error("test config invalid");
  const runs = await runDailyWork(config.config, now);
  expect(runs.find((r) => r.tenant_id === ACME.id)?.purged_audit_rows).toBe(5);
  expect(await superuserSql()`select action from audit_log where action like 'test.%' order by id`).toEqual([{ action: "test.recent" }]);
  expect(await superuserSql()`select count(*)::int as n from audit_checkpoints where tenant_id = ${ACME.id}`).toEqual([{ n: 1 }]);
  // The chains of every tenant verify after each test (test/support/worker/audit-chain-guard.ts).
  expect((await runDailyWork(config.config, now)).find((r) => r.tenant_id === ACME.id)?.purged_audit_rows).toBe(0);
});

it("a run out of budget stops after the tenant at hand, and the next day starts with another tenant", async () => {
  const config = loadConfig(testEnv);
  if (!config.ok) throw new Error("test config invalid");
  const firstTenant = async (day: number) => {
    const runs = await runDailyWork(config.config, TUESDAY_NOON + day * 86_400_000, { budgetMs: 0 });
    expect(runs).toHaveLength(1);
    return runs[0]!.tenant_id;
  };
  const tenants = new Set([await firstTenant(0), await firstTenant(1)]);
  expect(tenants.size).toBe(2);
});

it("a late invocation still covers every tenant: the budget starts when the run starts, not at the scheduled time", async () => {
  const config = loadConfig(testEnv);
  if (!config.ok) throw new Error("test config invalid");
  // The trigger was scheduled a day before the run began (a delayed or replayed invocation).
  const startedAt = TUESDAY_NOON + 86_400_000;
  const runs = await runDailyWork(config.config, TUESDAY_NOON, { clock: () => startedAt });
  expect(runs.map((r) => r.tenant_id).sort()).toEqual([ACME.id, GLOBEX.id].sort());
  expect(runs.every((r) => r.finished)).toBe(true);
});

it("a run whose budget runs out during a tenant finishes that tenant's step and starts no further tenant", async () => {
  const config = loadConfig(testEnv);
  if (!config.ok) throw new Error("test config invalid");
  // Every reading of this clock is a minute later: the first tenant's work outlasts a 30 s budget.
  let wall = TUESDAY_NOON;
  const ticking = () => (wall += 60_000);
  const runs = await runDailyWork(config.config, TUESDAY_NOON, { budgetMs: 30_000, clock: ticking });
  expect(runs).toHaveLength(1);
});
