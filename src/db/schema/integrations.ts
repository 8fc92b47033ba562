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
