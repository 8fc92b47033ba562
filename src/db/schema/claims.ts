import { sql } from "drizzle-orm";
import { check, pgPolicy, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { bytea } from "./bytea";
import { definerRole } from "./rls";

/**
 * The keys `app.claims()` verifies the Worker's signature with (migrations/functions/10_claims.sql), by key id:
 * the current one and, during a rotation, the previous one. Only the definer role reads them (app.claims() is
 * SECURITY DEFINER); the app and system roles have no grant and no policy. Rows are written by the schema owner
 * (`npm run db:claims-key`, migration 0019's owner policy), never by the Worker.
 */
export const claimsKeys = pgTable(
  "claims_keys",
  {
    kid: text("kid").primaryKey(),
    secret: bytea("secret").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check("claims_keys_kid_format", sql`${t.kid} ~ '^[A-Za-z0-9._-]{1,64}$'`),
    check("claims_keys_secret_length", sql`octet_length(${t.secret}) >= 32`),
    pgPolicy("claims_keys_definer", { for: "select", to: definerRole, using: sql`true` }),
  ],
).enableRLS();
