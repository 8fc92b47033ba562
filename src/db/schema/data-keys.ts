import { sql } from "drizzle-orm";
import { check, pgPolicy, pgTable, smallint, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { bytea } from "./bytea";
import { employees, tenants } from "./identity";
import { appRole, definerForSignedCallers, visibleTenantRows } from "./rls";

/**
 * The data keys of confidential fields (src/crypto/data-keys.ts): one per employee and year, kept only wrapped
 * by the Worker's key-encryption key (`kek_id` names which). Destroying one (erasure, retention) nulls the
 * wrapping: every field encrypted with it is unreadable from then on, in backups too once they expire. Readers
 * see the keys of the rows they may read; only the definer functions write them.
 */
export const dataKeys = pgTable(
  "data_keys",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    employeeId: uuid("employee_id")
      .notNull()
      .references(() => employees.id),
    year: smallint("year").notNull(),
    wrapped: bytea("wrapped"),
    kekId: text("kek_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    rewrappedAt: timestamp("rewrapped_at", { withTimezone: true }),
    destroyedAt: timestamp("destroyed_at", { withTimezone: true }),
  },
  (t) => [
    unique("data_keys_one_per_employee_year").on(t.tenantId, t.employeeId, t.year),
    check("data_keys_year", sql`${t.year} between 1 and 9999`),
    check(
      "data_keys_wrapped_or_destroyed",
      sql`(${t.wrapped} is null) = (${t.destroyedAt} is not null) and (${t.wrapped} is null) = (${t.kekId} is null) and (${t.wrapped} is null or octet_length(${t.wrapped}) = 40)`,
    ),
    pgPolicy("data_keys_select", { for: "select", to: appRole, using: visibleTenantRows(t.tenantId, t.employeeId) }),
    definerForSignedCallers("data_keys_definer"),
  ],
).enableRLS();
