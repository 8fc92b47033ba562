import type { z } from "@hono/zod-openapi";
import { type SQL, sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase, selectOut } from "../../db/door";
import { AUDIT_COLUMNS, auditValues, ledgerFacts, type RequestFacts } from "../../domain/audit";
import { forgetUnsubscribed } from "../../domain/webhook-delivery";
import { newWebhookSecret, openWebhookSecret, sealWebhookSecret, WEBHOOK_PAYLOAD_VERSION, webhookUrlProblem } from "../../domain/webhooks";
import { type Config, isDeployed } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import { isInstant } from "../../kernel/dates";
import { AppError } from "../../kernel/errors";
import { decodeCursor, isUuid, pageOf } from "../../kernel/pagination";
import type {
  DeliveryQuery,
  NewWebhookSubscription,
  SecretRotation,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookDeliveryPage,
  WebhookSubscription,
  WebhookSubscriptionChange,
  WebhookSubscriptionList,
  WebhookSubscriptionWithSecret,
} from "./schemas";

type View = z.infer<typeof WebhookSubscription>;
type WithSecret = z.infer<typeof WebhookSubscriptionWithSecret>;

const iso = (ms: number) => new Date(ms).toISOString();
const textArray = (values: readonly string[]) => sql`${`{${values.join(",")}}`}::text[]`;
const json = sql`jsonb_build_object('id', s.id, 'url', s.url, 'event_types', to_jsonb(s.event_types), 'description', s.description,
  'enabled', s.enabled, 'previous_secret_expires_at', s.previous_secret_expires_at, 'created_by', s.created_by,
  'created_at', s.created_at, 'updated_at', s.updated_at)`;
const notFound = (id: string) => new AppError("RESOURCE_NOT_FOUND", "No such webhook subscription", { subscription_id: id });

/** 400 naming `url` for a URL no subscription may have here (stricter in staging and production). */
function assertUrl(config: Config, url: string): void {
  const problem = webhookUrlProblem(url, isDeployed(config.ENVIRONMENT));
  if (problem)
    throw new AppError("VALIDATION_FAILED", "The URL cannot receive webhooks", {
      issues: [{ in: "body", path: "url", message: `must be ${problem}`, code: "custom" }],
    });
}

/** The host only: a URL's path or query may carry the receiver's own token. */
const hostOf = (url: string) => new URL(url).host;

/** One statement that changes a subscription, audits it and answers it (404 when it changed nothing). */
async function changeOne(config: Config, principal: Principal, id: string, statement: SQL): Promise<View> {
  const [rows] = await runInDatabase(config, userCaller(principal), (db) => [db.execute<{ subscription: View }>(statement)]);
  const subscription = rows.rows[0]?.subscription;
  if (!subscription) throw notFound(id);
  return subscription;
}

export async function createSubscription(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  body: z.infer<typeof NewWebhookSubscription>,
): Promise<WithSecret> {
  assertUrl(config, body.url);
  const id = crypto.randomUUID();
  const secret = newWebhookSecret();
  const sealed = await sealWebhookSecret(config, principal.tenantId, id, "secret", secret);
  const subscription = await changeOne(
    config,
    principal,
    id,
    sql`with s as (insert into webhook_subscriptions (id, tenant_id, url, event_types, description, enabled, secret, secret_kek_id, created_by, created_at, updated_at)
        values (${id}, ${principal.tenantId}, ${body.url}, ${textArray(body.event_types)}, ${body.description}, ${body.enabled}, ${sealed.sealed},
                ${sealed.kekId}, ${principal.userId}, ${iso(facts.now)}, ${iso(facts.now)}) returning *),
      audit as (insert into audit_log ${AUDIT_COLUMNS} select ${auditValues(facts, principal, { action: "webhook.create", targetType: "webhook_subscription", targetId: id, details: { host: hostOf(body.url), event_types: body.event_types } })} from s)
      select ${json} as subscription from s`,
  );
  forgetUnsubscribed(principal.tenantId);
  return { ...subscription, secret };
}

export async function listSubscriptions(
  config: Config,
  principal: Principal,
  query: { offset: number; limit: number },
): Promise<z.infer<typeof WebhookSubscriptionList>> {
  const [rows, count] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<{ subscription: View }>(
        sql`select ${json} as subscription from webhook_subscriptions s order by s.created_at desc, s.id offset ${query.offset} limit ${query.limit}`,
      ),
      db.execute<{ total: number }>(sql`select count(*)::int as total from webhook_subscriptions`),
    ],
    { readOnly: true },
  );
  return { data: rows.rows.map((r) => r.subscription), total: count.rows[0]!.total, ...query };
}

export async function getSubscription(config: Config, principal: Principal, id: string): Promise<View> {
  const [rows] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [db.execute<{ subscription: View }>(sql`select ${json} as subscription from webhook_subscriptions s where s.id = ${id}`)],
    { readOnly: true },
  );
  const subscription = rows.rows[0]?.subscription;
  if (!subscription) throw notFound(id);
  return subscription;
}

export function updateSubscription(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  id: string,
  change: z.infer<typeof WebhookSubscriptionChange>,
): Promise<View> {
  if (change.url !== undefined) assertUrl(config, change.url);
  const set = [
    ...(change.url !== undefined ? [sql`url = ${change.url}`] : []),
    ...(change.event_types !== undefined ? [sql`event_types = ${textArray(change.event_types)}`] : []),
    ...(change.description !== undefined ? [sql`description = ${change.description}`] : []),
    ...(change.enabled !== undefined ? [sql`enabled = ${change.enabled}`] : []),
  ];
  const details = { fields: Object.keys(change), ...(change.url !== undefined ? { host: hostOf(change.url) } : {}) };
  if (change.enabled) forgetUnsubscribed(principal.tenantId);
  return changeOne(
    config,
    principal,
    id,
    sql`with s as (update webhook_subscriptions set ${sql.join(set, sql`, `)}, updated_at = ${iso(facts.now)} where id = ${id} returning *),
      audit as (insert into audit_log ${AUDIT_COLUMNS} select ${auditValues(facts, principal, { action: "webhook.update", targetType: "webhook_subscription", targetId: id, details })} from s)
      select ${json} as subscription from s`,
  );
}

export async function deleteSubscription(config: Config, facts: RequestFacts, principal: Principal, id: string): Promise<void> {
  await changeOne(
    config,
    principal,
    id,
    sql`with s as (delete from webhook_subscriptions where id = ${id} returning *),
      audit as (insert into audit_log ${AUDIT_COLUMNS} select ${auditValues(facts, principal, { action: "webhook.delete", targetType: "webhook_subscription", targetId: id })} from s)
      select ${json} as subscription from s`,
  );
}

/**
 * A new signing secret, shown once; the current one keeps signing too for `overlap_hours` (the receiver switches
 * meanwhile). Two rotations at once: the second finds the secret changed and answers 409.
 */
export async function rotateSecret(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  id: string,
  rotation: z.infer<typeof SecretRotation>,
): Promise<WithSecret> {
  const [rows] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<{ secret: string; secret_kek_id: string }>(sql`select secret, secret_kek_id from webhook_subscriptions where id = ${id}`),
    ],
    { readOnly: true },
  );
  const current = rows.rows[0];
  if (!current) throw notFound(id);
  const secret = newWebhookSecret();
  const sealed = await sealWebhookSecret(config, principal.tenantId, id, "secret", secret);
  const keep = rotation.overlap_hours > 0;
  const previous = keep
    ? await sealWebhookSecret(
        config,
        principal.tenantId,
        id,
        "previous_secret",
        await openWebhookSecret(config, principal.tenantId, id, "secret", { sealed: current.secret, kekId: current.secret_kek_id }),
      )
    : null;
  const until = keep ? iso(facts.now + rotation.overlap_hours * 3_600_000) : null;
  const [changed] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<{
      subscription: View;
    }>(sql`with s as (update webhook_subscriptions set secret = ${sealed.sealed}, secret_kek_id = ${sealed.kekId},
        previous_secret = ${previous?.sealed ?? null}, previous_secret_kek_id = ${previous?.kekId ?? null},
        previous_secret_expires_at = ${until}::timestamptz, updated_at = ${iso(facts.now)}
        where id = ${id} and secret = ${current.secret} returning *),
      audit as (insert into audit_log ${AUDIT_COLUMNS} select ${auditValues(facts, principal, { action: "webhook.rotate", targetType: "webhook_subscription", targetId: id, details: { overlap_hours: rotation.overlap_hours } })} from s)
      select ${json} as subscription from s`),
  ]);
  const subscription = changed.rows[0]?.subscription;
  if (!subscription) throw new AppError("CONFLICT", "The secret changed meanwhile; rotate again", { subscription_id: id });
  return { ...subscription, secret };
}

type Delivery = z.infer<typeof WebhookDelivery>;

const attemptJson = (a: string) =>
  sql.raw(`jsonb_build_object('attempt', ${a}.attempt, 'started_at', ${a}.started_at, 'duration_ms', ${a}.duration_ms,
  'status_code', ${a}.status_code, 'outcome', ${a}.outcome, 'error', ${a}.error)`);
const deliveryJson = sql`jsonb_build_object('id', d.id, 'subscription_id', d.subscription_id, 'event_id', d.event_id, 'event_type', e.type,
  'subject', d.subject, 'sequence', d.sequence, 'status', d.status, 'attempts', d.attempts, 'failures', d.failures,
  'last_attempt', (select ${attemptJson("a")} from webhook_attempts a where a.delivery_id = d.id order by a.attempt desc limit 1),
  'delivered_at', d.delivered_at, 'created_at', d.created_at)`;
const DELIVERIES = "webhook_deliveries";

/** A subscription's deliveries, newest first (404 for an unknown subscription). */
export async function listDeliveries(
  config: Config,
  principal: Principal,
  subscriptionId: string,
  query: z.infer<typeof DeliveryQuery>,
): Promise<z.infer<typeof WebhookDeliveryPage>> {
  const after = query.cursor
    ? (() => {
        const [at, id] = decodeCursor<[string, string]>(DELIVERIES, query.cursor, [isInstant, isUuid]);
        return sql`(d.created_at, d.id) < (${at}::timestamptz, ${id}::uuid)`;
      })()
    : sql`true`;
  const [known, rows] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<{ found: boolean }>(sql`select exists (select 1 from webhook_subscriptions where id = ${subscriptionId}) as found`),
      db.execute<{ delivery: Delivery }>(
        sql`select ${deliveryJson} as delivery from webhook_deliveries d join outbox_events e on e.id = d.event_id
          where d.subscription_id = ${subscriptionId} and ${query.status ? sql`d.status = ${query.status}` : sql`true`} and ${after}
          order by d.created_at desc, d.id desc limit ${query.limit + 1}`,
      ),
    ],
    { readOnly: true },
  );
  if (!known.rows[0]?.found) throw notFound(subscriptionId);
  return pageOf(
    DELIVERIES,
    rows.rows.map((r) => r.delivery),
    query.limit,
    (d) => [d.created_at, d.id],
  );
}

/** One delivery with its event and every attempt. */
export async function getDelivery(config: Config, principal: Principal, id: string): Promise<z.infer<typeof WebhookDeliveryDetail>> {
  const [rows] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<{ delivery: z.infer<typeof WebhookDeliveryDetail> }>(
        sql`select ${deliveryJson} || jsonb_build_object(
            'event', jsonb_build_object('id', e.id, 'type', e.type, 'version', ${WEBHOOK_PAYLOAD_VERSION}::int, 'subject', e.subject,
              'sequence', e.sequence, 'timestamp', e.occurred_at, 'data', e.data),
            'attempt_log', coalesce((select jsonb_agg(${attemptJson("a")} order by a.attempt) from webhook_attempts a where a.delivery_id = d.id), '[]'))
          as delivery from webhook_deliveries d join outbox_events e on e.id = d.event_id where d.id = ${id}`,
      ),
    ],
    { readOnly: true },
  );
  const delivery = rows.rows[0]?.delivery;
  if (!delivery) throw new AppError("RESOURCE_NOT_FOUND", "No such webhook delivery", { delivery_id: id });
  return delivery;
}

/**
 * Redelivers a dead (or skipped) delivery, or skips a dead one so its subject goes on; audited. The write's own
 * dispatch (src/features/webhooks/dispatch.ts) then sends what became due.
 */
export async function resolveDelivery(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  id: string,
  action: "redeliver" | "skip",
): Promise<{ id: string; status: "pending" | "skipped" }> {
  return selectOut<{ id: string; status: "pending" | "skipped" }>(
    config,
    userCaller(principal),
    sql`select app.resolve_webhook_delivery(${JSON.stringify({ delivery_id: id, action, now: iso(facts.now), facts: ledgerFacts(facts) })}::jsonb) as out`,
  );
}
