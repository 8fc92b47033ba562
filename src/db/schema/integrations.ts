import { sql } from "drizzle-orm";
import { boolean, check, index, integer, jsonb, pgPolicy, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./identity";
import { appRole, can, definerOnly, tenantId } from "./rls";

/**
 * The transactional outbox: one row per domain event (`leave_request.approved`, `balance.adjusted`, …), written
 * by triggers in the same transaction as the change it reports (migrations/functions/95_outbox.sql), so an event
 * exists if and only if its change committed. `sequence` orders the events of one subject (`leave_request:<id>`,
 * `balance:<account id>`), each written under that subject's own lock; there is no per-tenant counter. `data`
 * carries ids, dates and amounts only, never a confidential field.
 */
export const outboxEvents = pgTable(
  "outbox_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    type: text("type").notNull(),
    subject: text("subject").notNull(),
    sequence: integer("sequence").notNull(),
    /** When the change happened, on the clock of the request (or job) that made it. */
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    data: jsonb("data").notNull(),
  },
  (t) => [
    unique("outbox_events_subject_sequence").on(t.tenantId, t.subject, t.sequence),
    index("outbox_events_tenant_idx").on(t.tenantId, t.occurredAt),
    pgPolicy("outbox_events_select", { for: "select", to: appRole, using: sql`${t.tenantId} = ${tenantId} and ${can("config:manage")}` }),
    definerOnly("outbox_events_definer"),
  ],
).enableRLS();

const systemAdmins = sql`(select app.tenant_id()) is not null and ${can("config:manage")}`;

/**
 * Where a tenant's events are delivered (System Admins manage them): a URL, the event types it wants (empty: all),
 * and its signing secret, sealed by the Worker under the tenant's key for webhook secrets (src/crypto/tenant-secrets.ts)
 * and shown once. A rotation keeps the previous secret signing too until `previous_secret_expires_at`.
 */
export const webhookSubscriptions = pgTable(
  "webhook_subscriptions",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    url: text("url").notNull(),
    eventTypes: text("event_types").array().notNull().default(sql`'{}'::text[]`),
    description: text("description").notNull().default(""),
    enabled: boolean("enabled").notNull().default(true),
    /** Sealed (`v1.…`) under the tenant's webhook key derived from the KEK `secret_kek_id` names. */
    secret: text("secret").notNull(),
    secretKekId: text("secret_kek_id").notNull(),
    previousSecret: text("previous_secret"),
    previousSecretKekId: text("previous_secret_kek_id"),
    previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true }),
    createdBy: uuid("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("webhook_subscriptions_tenant_idx").on(t.tenantId, t.createdAt),
    check(
      "webhook_subscriptions_secret_sealed",
      sql`${t.secret} like 'v1.%' and (${t.previousSecret} is null or ${t.previousSecret} like 'v1.%')`,
    ),
    check(
      "webhook_subscriptions_previous_secret",
      sql`(${t.previousSecret} is null) = (${t.previousSecretKekId} is null) and (${t.previousSecret} is null) = (${t.previousSecretExpiresAt} is null)`,
    ),
    pgPolicy("webhook_subscriptions_select", { for: "select", to: appRole, using: sql`${t.tenantId} = ${tenantId} and ${systemAdmins}` }),
    pgPolicy("webhook_subscriptions_insert", {
      for: "insert",
      to: appRole,
      withCheck: sql`${t.tenantId} = ${tenantId} and ${systemAdmins}`,
    }),
    pgPolicy("webhook_subscriptions_update", {
      for: "update",
      to: appRole,
      using: sql`${t.tenantId} = ${tenantId} and ${systemAdmins}`,
      withCheck: sql`${t.tenantId} = ${tenantId} and ${systemAdmins}`,
    }),
    pgPolicy("webhook_subscriptions_delete", { for: "delete", to: appRole, using: sql`${t.tenantId} = ${tenantId} and ${systemAdmins}` }),
    definerOnly("webhook_subscriptions_definer"),
  ],
).enableRLS();

/**
 * One event on its way to one subscription, created with the event (app.emit) for each enabled subscription that
 * wants its type. `pending` until a delivery succeeds (`delivered`), fails `WEBHOOK_MAX_FAILURES` times in a row
 * (`dead`: its subject waits until a System Admin redelivers or skips it) or is `skipped`. Only the head of a
 * (subscription, subject) chain is sent: event n+1 waits for n. `due_at` is when the minutely sweep may hand it to
 * the queue again (its message was lost); `leased_until` keeps a second consumer away while one is sending (and the
 * subject's next event waiting until it has finished).
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    subscriptionId: uuid("subscription_id")
      .notNull()
      .references(() => webhookSubscriptions.id, { onDelete: "cascade" }),
    eventId: uuid("event_id")
      .notNull()
      .references(() => outboxEvents.id, { onDelete: "cascade" }),
    subject: text("subject").notNull(),
    sequence: integer("sequence").notNull(),
    status: text("status", { enum: ["pending", "delivered", "dead", "skipped"] })
      .notNull()
      .default("pending"),
    /** Every attempt made; `failures` counts those since the last success or redelivery. */
    attempts: integer("attempts").notNull().default(0),
    failures: integer("failures").notNull().default(0),
    dueAt: timestamp("due_at", { withTimezone: true }).notNull(),
    /** After a failure: no attempt before then (a repeated message does not cut the backoff short). */
    notBefore: timestamp("not_before", { withTimezone: true }),
    leasedUntil: timestamp("leased_until", { withTimezone: true }),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true }),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    unique("webhook_deliveries_event").on(t.subscriptionId, t.eventId),
    index("webhook_deliveries_chain_idx").on(t.subscriptionId, t.subject, t.sequence),
    index("webhook_deliveries_list_idx").on(t.subscriptionId, t.createdAt),
    index("webhook_deliveries_event_idx").on(t.eventId),
    index("webhook_deliveries_due_idx").on(t.dueAt).where(sql`status = 'pending'`),
    check("webhook_deliveries_status", sql`${t.status} in ('pending', 'delivered', 'dead', 'skipped')`),
    pgPolicy("webhook_deliveries_select", { for: "select", to: appRole, using: sql`${t.tenantId} = ${tenantId} and ${systemAdmins}` }),
    definerOnly("webhook_deliveries_definer"),
  ],
).enableRLS();

/** The delivery log: one row per attempt (its outcome, the receiver's status code and how long it took). */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    deliveryId: uuid("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    durationMs: integer("duration_ms").notNull(),
    /** The receiver's HTTP status, or null when it did not answer (timeout, unreachable, URL refused). */
    statusCode: integer("status_code"),
    outcome: text("outcome", { enum: ["delivered", "failed", "timeout", "unreachable", "refused_url"] }).notNull(),
    /** Our own description of a failure; never the receiver's body. */
    error: text("error"),
  },
  (t) => [
    unique("webhook_attempts_attempt").on(t.deliveryId, t.attempt),
    index("webhook_attempts_tenant_idx").on(t.tenantId, t.startedAt),
    check("webhook_attempts_outcome", sql`${t.outcome} in ('delivered', 'failed', 'timeout', 'unreachable', 'refused_url')`),
    pgPolicy("webhook_attempts_select", { for: "select", to: appRole, using: sql`${t.tenantId} = ${tenantId} and ${systemAdmins}` }),
    definerOnly("webhook_attempts_definer"),
  ],
).enableRLS();
