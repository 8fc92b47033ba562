import { sql } from "drizzle-orm";
import { systemCaller } from "../db/claims";
import { selectOut } from "../db/door";
import { type Config, isDeployed } from "../kernel/config";
import { WEBHOOK_DELIVERY } from "../kernel/constants";
import type { WebhookMessage } from "../kernel/env";
import { AppError } from "../kernel/errors";
import { ExpiringCache } from "../kernel/expiring-cache";
import { FLAGS, isOn } from "../kernel/flags";
import { writeMetric } from "../kernel/metrics";
import { type OutboxEvent, openWebhookSecret, retryDelaySeconds, signedHeaders, webhookPayload, webhookUrlProblem } from "./webhooks";

/**
 * Webhook delivery through Cloudflare Queues (docs/integrations.md, "Delivery"). The database holds each delivery's
 * state (migrations/functions/96_webhook_delivery.sql); a queue message only names a delivery to attempt, so a lost,
 * repeated or late message costs a retry at most, never a wrong state. Deliveries reach the queue after the write
 * that created them (`dispatchDue` in the request's `waitUntil`), after the delivery of the event before them, and
 * from the minutely sweep (anything due whose message was lost).
 */

type DeliveryConfig = Pick<
  Config,
  "DATABASE_URL" | "NEON_FETCH_ENDPOINT" | "DB_CLAIMS_KEY" | "DATA_KEK" | "DATA_KEK_PREVIOUS" | "ENVIRONMENT"
>;

const iso = (ms: number) => new Date(ms).toISOString();

function asSender<T>(config: DeliveryConfig, tenantId: string | undefined, fn: string, input: Record<string, unknown>): Promise<T> {
  return selectOut<T>(
    config,
    systemCaller("webhooks", tenantId),
    sql`select ${sql.raw(`app.${fn}`)}(${JSON.stringify(input)}::jsonb) as out`,
  );
}

/** Tenants known, for a while, to have no enabled subscription: their writes skip the dispatch. */
const unsubscribed = new ExpiringCache<true>(10_000);

/** A subscription was created or enabled in this isolate: its tenant's writes dispatch again at once (all: tests). */
export function forgetUnsubscribed(tenantId?: string): void {
  if (tenantId === undefined) unsubscribed.clear();
  else unsubscribed.delete(tenantId);
}

export function knownUnsubscribed(tenantId: string, nowMs: number): boolean {
  return unsubscribed.get(tenantId, nowMs) === true;
}

/**
 * Hands the deliveries due at `nowMs` (of one tenant, or of all for the sweep) to the queue, at most one batch,
 * but for tenants whose `webhooks-paused` switch is on; answers how many the database handed out. What is not sent
 * (paused, or the send failed) is due again after `redispatchSeconds`: the sweep's business.
 */
export async function dispatchDue(
  config: DeliveryConfig,
  queue: Queue<WebhookMessage>,
  flags: Flagship | undefined,
  tenantId: string | undefined,
  nowMs: number,
): Promise<number> {
  const paused = (id: string) => isOn(flags, FLAGS.webhooksPaused, { tenantId: id }, nowMs);
  if (tenantId !== undefined && (await paused(tenantId))) return 0;
  const out = await asSender<{ messages: WebhookMessage[]; subscribed: boolean }>(config, tenantId, "dispatch_webhooks", {
    now: iso(nowMs),
    limit: WEBHOOK_DELIVERY.dispatchLimit,
    redispatch_seconds: WEBHOOK_DELIVERY.redispatchSeconds,
  });
  if (tenantId !== undefined && !out.subscribed) unsubscribed.set(tenantId, true, nowMs, nowMs + WEBHOOK_DELIVERY.unsubscribedMemoryMs);
  const held = new Set<string>();
  for (const id of new Set(out.messages.map((m) => m.tenant_id))) if (await paused(id)) held.add(id);
  const sending = out.messages.filter((m) => !held.has(m.tenant_id));
  if (sending.length > 0) await queue.sendBatch(sending.map((body) => ({ body, contentType: "json" as const })));
  return out.messages.length;
}

interface Claim {
  state: "deliver" | "done" | "busy" | "early" | "waiting" | "disabled" | "gone";
  attempt: number;
  failures: number;
  event: OutboxEvent;
  subscription: {
    id: string;
    url: string;
    secret: string;
    secret_kek_id: string;
    previous_secret: string | null;
    previous_secret_kek_id: string | null;
  };
}

export type AttemptOutcome = "delivered" | "failed" | "timeout" | "unreachable" | "refused_url";

interface Attempt {
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
}

/** What the consumer does with the message after an attempt. */
export type Verdict = { action: "ack"; next: WebhookMessage[] } | { action: "retry"; delaySeconds: number } | { action: "dead_letter" };

export interface DeliveryDeps {
  fetch: typeof fetch;
  /** The wall clock (ms): leases, signatures and the delivery log are about real time. */
  clock: () => number;
  random: () => number;
  /** How long a receiver has to answer (WEBHOOK_DELIVERY.timeoutMs). */
  timeoutMs: number;
  metrics?: AnalyticsEngineDataset;
  /** The kill switches: `webhooks-paused` leaves the delivery pending, untouched. */
  flags?: Flagship;
}

/** POSTs the payload, signed; never follows a redirect (its target was never checked) and never reads the body. */
async function send(deps: DeliveryDeps, url: string, headers: Record<string, string>, payload: string): Promise<Attempt> {
  try {
    const response = await deps.fetch(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "user-agent": "LeaveLedger-Webhooks/1" },
      body: payload,
      redirect: "manual",
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
    await response.body?.cancel();
    const ok = response.status >= 200 && response.status < 300;
    return { outcome: ok ? "delivered" : "failed", statusCode: response.status, error: ok ? null : `answered ${response.status}` };
  } catch (error) {
    const name = (error as Error).name;
    return name === "TimeoutError" || name === "AbortError"
      ? { outcome: "timeout", statusCode: null, error: `no answer within ${deps.timeoutMs} ms` }
      : { outcome: "unreachable", statusCode: null, error: "could not connect" };
  }
}

/** Checks the URL again, opens the secrets, signs and sends; a failure of any of these is the attempt's outcome. */
async function prepareAndSend(config: DeliveryConfig, deps: DeliveryDeps, tenantId: string, claim: Claim, at: number): Promise<Attempt> {
  const { event, subscription } = claim;
  const problem = webhookUrlProblem(subscription.url, isDeployed(config.ENVIRONMENT));
  if (problem) return { outcome: "refused_url", statusCode: null, error: `the URL must be ${problem}` };
  const open = (column: "secret" | "previous_secret", sealed: string, kekId: string) =>
    openWebhookSecret(config, tenantId, subscription.id, column, { sealed, kekId });
  const secrets: string[] = [];
  try {
    secrets.push(await open("secret", subscription.secret, subscription.secret_kek_id));
    if (subscription.previous_secret && subscription.previous_secret_kek_id)
      secrets.push(await open("previous_secret", subscription.previous_secret, subscription.previous_secret_kek_id));
  } catch (error) {
    const code = error instanceof AppError ? error.code : "unknown";
    return { outcome: "failed", statusCode: null, error: `the signing secret could not be opened (${code})` };
  }
  const payload = webhookPayload(event);
  return send(deps, subscription.url, signedHeaders(secrets, event.id, new Date(at), payload), payload);
}

/**
 * One attempt of the delivery a message names: claim it, check its URL again, sign and send it, log the attempt,
 * and answer what to do with the message. Throws only when the database cannot be reached (the message is then
 * retried by the consumer).
 */
export async function attemptDelivery(config: DeliveryConfig, deps: DeliveryDeps, message: WebhookMessage): Promise<Verdict> {
  const claimedAt = deps.clock();
  if (await isOn(deps.flags, FLAGS.webhooksPaused, { tenantId: message.tenant_id }, claimedAt)) return { action: "ack", next: [] };
  const claim = await asSender<Claim>(config, message.tenant_id, "claim_webhook_delivery", {
    delivery_id: message.delivery_id,
    now: iso(claimedAt),
    lease_seconds: WEBHOOK_DELIVERY.leaseSeconds,
  });
  if (claim.state !== "deliver") return { action: "ack", next: [] };
  const startedAt = deps.clock();
  const attempt = await prepareAndSend(config, deps, message.tenant_id, claim, startedAt);
  const endedAt = deps.clock();
  const delaySeconds = retryDelaySeconds(claim.failures + 1, deps.random);
  const recorded = await asSender<{ state: "delivered" | "retry" | "dead" | "done" | "gone"; next?: WebhookMessage[] }>(
    config,
    message.tenant_id,
    "record_webhook_attempt",
    {
      delivery_id: message.delivery_id,
      attempt: claim.attempt,
      started_at: iso(startedAt),
      duration_ms: Math.max(0, Math.round(endedAt - startedAt)),
      status_code: attempt.statusCode,
      outcome: attempt.outcome,
      error: attempt.error,
      now: iso(endedAt),
      retry_at: iso(endedAt + delaySeconds * 1000),
      max_failures: WEBHOOK_DELIVERY.maxFailures,
      redispatch_seconds: WEBHOOK_DELIVERY.redispatchSeconds,
    },
  );
  writeMetric(deps.metrics, {
    indexes: [message.tenant_id],
    blobs: ["webhook", claim.event.type, attempt.outcome, attempt.statusCode === null ? "" : String(attempt.statusCode), recorded.state],
    doubles: [endedAt - startedAt, claim.attempt],
  });
  if (recorded.state === "retry") return { action: "retry", delaySeconds };
  if (recorded.state === "dead") return { action: "dead_letter" };
  return { action: "ack", next: recorded.next ?? [] };
}
