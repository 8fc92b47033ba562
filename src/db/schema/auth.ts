import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  jsonb,
  pgPolicy,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { bytea } from "./bytea";
import { roleEnum, tenants, users } from "./identity";
import { appRole, can, definerForSignedCallers, definerOnly, definerRole, signedCaller, tenantId, userId } from "./rls";

const auditReaders = can("audit:read");
const keyManagers = can("apikey:manage");
const callerKind = sql`(select app.claims() ->> 'caller')`;

/**
 * Password and PIN hashes. No policy for the app role: only the login functions (owned by the definer role)
 * read them and only the credential functions write them.
 */
export const credentials = pgTable(
  "credentials",
  {
    userId: uuid("user_id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    passwordHash: text("password_hash"),
    pinHash: text("pin_hash"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({ name: "credentials_user_fk", columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
    definerForSignedCallers("credentials_definer"),
  ],
).enableRLS();

/** Refresh tokens, stored as SHA-256 hashes; each rotation adds a row to the family and marks the old one used. */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    userId: uuid("user_id").notNull(),
    familyId: uuid("family_id").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    /** The user's session version when the token was issued: rotation refuses a token behind the user's current one. */
    sessionVersion: bigint("session_version", { mode: "number" }).notNull().default(0),
    /** Issued by a kiosk (PIN) login: every access token of the family is a kiosk session. */
    kiosk: boolean("kiosk").notNull().default(false),
  },
  (t) => [
    foreignKey({ name: "refresh_tokens_user_fk", columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
    index("refresh_tokens_family_idx").on(t.familyId),
    index("refresh_tokens_user_idx").on(t.userId),
    definerForSignedCallers("refresh_tokens_definer"),
  ],
).enableRLS();

/**
 * Append-only audit log. The app role may INSERT (as itself, in its tenant) and SELECT (audit readers); no
 * role may UPDATE, DELETE or TRUNCATE it (no grants, and triggers that refuse even the owner).
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: uuid("tenant_id").references(() => tenants.id),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().defaultNow(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    success: boolean("success").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    requestId: text("request_id"),
    details: jsonb("details").notNull().default(sql`'{}'::jsonb`),
    /** Personal facts particular to the action (erased with the person, as `ip` and `user_agent` are). */
    personalDetails: jsonb("personal_details"),
    /**
     * The row's place in one of its tenant's hash chains (set by a trigger): which chain, the position in it,
     * and sha256 of the previous link's hash and this row. The link covers the personal fields only through
     * their digest (sha256 of a random per-row salt and the fields), so erasing them and the salt keeps it valid.
     */
    chain: smallint("chain"),
    chainSeq: bigint("chain_seq", { mode: "number" }),
    hash: text("hash"),
    personalSalt: bytea("personal_salt"),
    personalDigest: text("personal_digest"),
  },
  (t) => [
    index("audit_log_tenant_idx").on(t.tenantId, t.id),
    // The audit list's filters by actor and by subject, newest first.
    index("audit_log_actor_idx").on(t.tenantId, t.actorId, t.id),
    index("audit_log_target_idx").on(t.tenantId, t.targetType, t.targetId, t.id),
    unique("audit_log_chain_position").on(t.tenantId, t.chain, t.chainSeq).nullsNotDistinct(),
    check("audit_log_actor_type", sql`${t.actorType} in ('user', 'api_key', 'system', 'anonymous')`),
    pgPolicy("audit_log_insert", {
      for: "insert",
      to: appRole,
      withCheck: sql`${t.tenantId} = ${tenantId} and ${t.actorId} = ${userId}::text and ${t.actorType} = (case when ${callerKind} = 'api_key' then 'api_key' else 'user' end)`,
    }),
    pgPolicy("audit_log_select", { for: "select", to: appRole, using: sql`${t.tenantId} = ${tenantId} and ${auditReaders}` }),
    pgPolicy("audit_log_definer_insert", { for: "insert", to: definerRole, withCheck: signedCaller }),
  ],
).enableRLS();

/**
 * Service API keys for machine clients: `llk_<prefix>_<secret>`. Only the SHA-256 of the whole key is kept;
 * the prefix is public and finds the row. A key acts with one role, optionally narrowed to some permissions.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    name: text("name").notNull(),
    prefix: text("prefix").notNull().unique(),
    keyHash: text("key_hash").notNull(),
    role: roleEnum("role").notNull(),
    scopes: text("scopes").array().notNull().default(sql`'{}'::text[]`),
    createdBy: uuid("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    rotatedAt: timestamp("rotated_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    index("api_keys_tenant_idx").on(t.tenantId),
    check("api_keys_not_system_admin", sql`${t.role} <> 'system_admin'`),
    pgPolicy("api_keys_select", { for: "select", to: appRole, using: sql`${t.tenantId} = ${tenantId} and ${keyManagers}` }),
    pgPolicy("api_keys_insert", {
      for: "insert",
      to: appRole,
      withCheck: sql`${t.tenantId} = ${tenantId} and ${keyManagers} and ${t.createdBy} = ${userId}`,
    }),
    pgPolicy("api_keys_update", {
      for: "update",
      to: appRole,
      using: sql`${t.tenantId} = ${tenantId} and ${keyManagers}`,
      withCheck: sql`${t.tenantId} = ${tenantId}`,
    }),
    definerForSignedCallers("api_keys_definer"),
  ],
).enableRLS();

/**
 * The newest link of each of a tenant's audit hash chains (`chain_id` is the tenant's id; rows without a tenant
 * have the zero UUID). A writer locks the head of whichever chain is free, so a tenant's concurrent audited
 * writes do not queue on one row; `AUDIT_CHAINS` in migrations/functions/30_audit.sql says how many there are.
 */
export const auditChainHeads = pgTable(
  "audit_chain_heads",
  {
    chainId: uuid("chain_id").notNull(),
    chain: smallint("chain").notNull(),
    lastSeq: bigint("last_seq", { mode: "number" }).notNull(),
    lastHash: text("last_hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.chainId, t.chain] }), definerOnly("audit_chain_heads_definer")],
).enableRLS();

/**
 * Where retention cut a chain: the last purged row's position and hash, signed (HMAC-SHA256 with the key in
 * audit_checkpoint_keys), so verification continues from it and nobody without the key can hide a deletion.
 */
export const auditCheckpoints = pgTable(
  "audit_checkpoints",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: uuid("tenant_id").references(() => tenants.id),
    chain: smallint("chain").notNull(),
    chainSeq: bigint("chain_seq", { mode: "number" }).notNull(),
    hash: text("hash").notNull(),
    rowsPurged: bigint("rows_purged", { mode: "number" }).notNull(),
    purgedBefore: timestamp("purged_before", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    signature: text("signature").notNull(),
  },
  (t) => [
    index("audit_checkpoints_chain_idx").on(t.tenantId, t.chain, t.chainSeq),
    pgPolicy("audit_checkpoints_select", { for: "select", to: appRole, using: sql`${t.tenantId} = ${tenantId} and ${auditReaders}` }),
    definerOnly("audit_checkpoints_definer"),
  ],
).enableRLS();

/** The key checkpoints are signed with: made by Postgres at migration, read only by the definer. */
export const auditCheckpointKeys = pgTable(
  "audit_checkpoint_keys",
  {
    kid: text("kid").primaryKey(),
    secret: bytea("secret").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check("audit_checkpoint_keys_secret_length", sql`octet_length(${t.secret}) >= 32`),
    pgPolicy("audit_checkpoint_keys_definer", { for: "select", to: definerRole, using: sql`true` }),
  ],
).enableRLS();

/**
 * Where each person signs in from (their country) and each API key is used from (its network's ASN), as Cloudflare
 * tells the Worker: a new one for an admin, or for a key, is a security signal. Only the definer functions read and
 * write it (migrations/functions/97_security_signals.sql); erasure deletes a person's rows.
 */
export const signInPlaces = pgTable(
  "sign_in_places",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    principalType: text("principal_type", { enum: ["user", "api_key"] }).notNull(),
    principalId: uuid("principal_id").notNull(),
    kind: text("kind", { enum: ["country", "asn"] }).notNull(),
    value: text("value").notNull(),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ name: "sign_in_places_pk", columns: [t.principalId, t.kind, t.value] }),
    index("sign_in_places_tenant_idx").on(t.tenantId),
    check("sign_in_places_kind", sql`${t.principalType} in ('user', 'api_key') and ${t.kind} in ('country', 'asn')`),
    definerOnly("sign_in_places_definer"),
  ],
).enableRLS();
