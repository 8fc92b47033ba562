import { sql } from "drizzle-orm";
import { systemCaller } from "../db/claims";
import { runInDatabase } from "../db/door";
import { dispatchDue } from "../domain/webhook-delivery";
import type { Config } from "../kernel/config";
import { loadConfig } from "../kernel/config";
import {
  CHUNK_LIMITS,
  CRONS,
  IDEMPOTENCY_RETENTION_HOURS,
  KEY_JOB_CHUNK,
  OUTBOX_RETENTION_DAYS,
  RETENTION_ROWS_PER_RUN,
  SCHEDULED_BUDGET_MS,
  WEBHOOK_DELIVERY,
  WEBHOOK_SWEEP_BATCHES,
} from "../kernel/constants";
import type { Env, WebhookMessage } from "../kernel/env";
import { FLAGS, isOn } from "../kernel/flags";
import { describeError, log } from "../kernel/logger";
import { writeMetric } from "../kernel/metrics";
import { reportError } from "../kernel/sentry";
import { callAsScheduler } from "./call";
import { resealWebhookSecrets, rewrapOldKeys, sealOldFields } from "./key-jobs";

export interface TenantRun {
  tenant_id: string;
  expired_requests: number;
  forgotten_idempotency_keys: number;
  deleted_refresh_tokens: number;
  purged_audit_rows: number;
  shredded_keys: number;
  purged_events: number;
  sealed_fields: number;
  rewrapped_keys: number;
  resealed_webhook_secrets: number;
  employees: number;
  accruals: number;
  carryover_expiries: number;
  /** The `accrual-job-paused` switch was on for the tenant: no accruals posted (the next run catches up). */
  accruals_paused: boolean;
  finished: boolean;
}

interface AccrualChunk {
  employees: number;
  accruals: number;
  carryover_expiries: number;
  next_after: string | null;
}

export interface RunOptions {
  /** How long the run may keep starting new work, measured on `clock`. */
  budgetMs?: number;
  /** The clock the budget is measured on: the wall clock, whatever instant the run is for. */
  clock?: () => number;
  /** The kill switches (`accrual-job-paused` skips a tenant's accruals). */
  flags?: Flagship;
  /** Where each tenant's counts go (one data point per tenant and run). */
  metrics?: AnalyticsEngineDataset;
}

/**
 * The daily Cron Trigger's work, per active tenant: expire overdue holds, forget old idempotency keys and
 * expired refresh tokens (the sweep audits itself as `retention.sweep`), apply the tenant's retention (audit rows
 * purged behind signed checkpoints, each cut audited as `audit.purge`; data keys of years past it destroyed,
 * `retention.shred`; domain events and webhook delivery logs after OUTBOX_RETENTION_DAYS), seal confidential fields
 * written before sealed fields existed (`confidential.seal`), move data keys from DATA_KEK_PREVIOUS to DATA_KEK
 * (`data_keys.rewrap`) and re-seal webhook secrets under it (`webhook.reseal`), then
 * post every due accrual (missed periods included) in chunks of employees. Every step is repeatable, so a run
 * cut short (budget, failure) is completed by the next one.
 *
 * `nowMs` is the instant the work is *for* (the trigger's scheduled time); the budget starts when the run
 * starts. Deriving the deadline from `nowMs` would let a late invocation (or a replayed one) stop after one
 * tenant.
 */
export async function runDailyWork(
  config: Config,
  nowMs: number,
  { budgetMs = SCHEDULED_BUDGET_MS, clock = Date.now, flags, metrics }: RunOptions = {},
): Promise<TenantRun[]> {
  const deadlineMs = clock() + budgetMs;
  /** Repeats a chunked step until it has nothing left or the budget is spent; answers what it did in all. */
  const untilDone = async (chunk: () => Promise<number>) => {
    let total = 0;
    for (let done = await chunk(); done > 0; done = clock() < deadlineMs ? await chunk() : 0) total += done;
    return total;
  };
  const now = new Date(nowMs).toISOString();
  const [tenants] = await runInDatabase(
    config,
    systemCaller("scheduler"),
    (db) => [db.execute<{ id: string }>(sql`select id from app.active_tenants() as id`)],
    {
      readOnly: true,
    },
  );
  // Start with a different tenant each day, so a budget that runs out never starves the same tenants.
  const ids = tenants.rows.map((t) => t.id);
  const first = ids.length === 0 ? 0 : Math.floor(nowMs / 86_400_000) % ids.length;
  const runs: TenantRun[] = [];
  for (const tenantId of [...ids.slice(first), ...ids.slice(0, first)]) {
    const swept = await callAsScheduler<{ expired_requests: number; forgotten_idempotency_keys: number; deleted_refresh_tokens: number }>(
      config,
      tenantId,
      sql`select app.sweep(${JSON.stringify({ now, idempotency_retention_hours: IDEMPOTENCY_RETENTION_HOURS })}::jsonb) as out`,
    );
    const retained = await callAsScheduler<{ purged_audit_rows: number; shredded_keys: number; purged_events: number }>(
      config,
      tenantId,
      sql`select app.apply_retention(${JSON.stringify({
        now,
        audit_rows: RETENTION_ROWS_PER_RUN,
        keys: RETENTION_ROWS_PER_RUN,
        outbox_days: OUTBOX_RETENTION_DAYS,
        outbox_rows: RETENTION_ROWS_PER_RUN,
        facts: {},
      })}::jsonb) as out`,
    );
    const run: TenantRun = {
      tenant_id: tenantId,
      ...swept,
      ...retained,
      sealed_fields: await untilDone(() => sealOldFields(config, tenantId, nowMs, KEY_JOB_CHUNK)),
      rewrapped_keys: await untilDone(() => rewrapOldKeys(config, tenantId, nowMs, KEY_JOB_CHUNK)),
      resealed_webhook_secrets: await untilDone(() => resealWebhookSecrets(config, tenantId, nowMs, KEY_JOB_CHUNK)),
      employees: 0,
      accruals: 0,
      carryover_expiries: 0,
      accruals_paused: await isOn(flags, FLAGS.accrualJobPaused, { tenantId }, nowMs),
      finished: false,
    };
    let after: string | null = null;
    if (!run.accruals_paused)
      do {
        const answer: { body: AccrualChunk } = await callAsScheduler(
          config,
          tenantId,
          sql`select app.post_accruals(${JSON.stringify({ now, after, limit: CHUNK_LIMITS.accruals.default })}::jsonb) as out`,
        );
        run.employees += answer.body.employees;
        run.accruals += answer.body.accruals;
        run.carryover_expiries += answer.body.carryover_expiries;
        after = answer.body.next_after;
      } while (after !== null && clock() < deadlineMs);
    run.finished = after === null && !run.accruals_paused;
    runs.push(run);
    log("info", "scheduled_tenant_done", { ...run });
    writeMetric(metrics, {
      indexes: [tenantId],
      blobs: ["job", "daily", run.finished ? "finished" : "unfinished", run.accruals_paused ? "accruals_paused" : "", ""],
      doubles: [run.accruals, run.employees, run.expired_requests, run.carryover_expiries, run.purged_audit_rows, run.purged_events],
    });
    if (clock() >= deadlineMs) {
      log("warn", "scheduled_budget_exhausted", { tenants_done: runs.length, tenants: ids.length });
      break;
    }
  }
  return runs;
}

/**
 * The minutely sweep: hands every due webhook delivery (of any tenant) whose queue message was lost, or whose
 * subject was waiting, to the queue, a batch at a time.
 */
export async function sweepWebhooks(
  config: Config,
  queue: Queue<WebhookMessage>,
  flags: Flagship | undefined,
  nowMs: number,
): Promise<number> {
  let sent = 0;
  for (let batch = 0; batch < WEBHOOK_SWEEP_BATCHES; batch++) {
    const handed = await dispatchDue(config, queue, flags, undefined, nowMs);
    sent += handed;
    if (handed < WEBHOOK_DELIVERY.dispatchLimit) break;
  }
  if (sent > 0) log("info", "webhook_sweep_done", { sent });
  return sent;
}

/**
 * The Worker's `scheduled` handler: the daily work or the minutely webhook sweep, by `controller.cron`. Failures
 * are logged and reported; the next run repeats what is missing.
 */
export async function onSchedule(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  const loaded = loadConfig(env);
  if (!loaded.ok) return;
  try {
    if (controller.cron === CRONS.webhookSweep) {
      if (!env.WEBHOOKS) return;
      const sent = await sweepWebhooks(loaded.config, env.WEBHOOKS, env.FLAGS, controller.scheduledTime);
      writeMetric(env.METRICS, { indexes: ["-"], blobs: ["job", "webhook_sweep", "", "", ""], doubles: [sent] });
    } else {
      await runDailyWork(loaded.config, controller.scheduledTime, { flags: env.FLAGS, metrics: env.METRICS });
    }
  } catch (error) {
    log("error", "scheduled_failed", { cron: controller.cron, error: describeError(error) });
    reportError(loaded.config, ctx, undefined, error, { requestId: `cron-${controller.scheduledTime}`, route: `cron ${controller.cron}` });
  }
}
