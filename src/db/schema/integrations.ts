import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgPolicy, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
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
