import type { z } from "@hono/zod-openapi";
import { and, count, desc, eq, isNull, sql } from "drizzle-orm";
import { newApiKey } from "../../auth/api-keys";
import { behindRaisedVersions } from "../../auth/limiter";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { apiKeys } from "../../db/schema";
import { AUDIT_COLUMNS, auditAsUser, auditValues, type RequestFacts } from "../../domain/audit";
import type { Permission } from "../../kernel/access";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import type { Env } from "../../kernel/env";
import { AppError } from "../../kernel/errors";
import type { ApiKeyPage, ApiKeySchema, CreateApiKeyBody, NewApiKeySchema } from "./schemas";

type ApiKeyView = z.infer<typeof ApiKeySchema>;
type NewApiKeyView = z.infer<typeof NewApiKeySchema>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

type Row = typeof apiKeys.$inferSelect;
const view = (
  r: Pick<Row, "id" | "name" | "prefix" | "role" | "scopes" | "createdAt" | "rotatedAt" | "lastUsedAt" | "revokedAt">,
): ApiKeyView => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  role: r.role as ApiKeyView["role"],
  scopes: r.scopes as Permission[],
  created_at: r.createdAt.toISOString(),
  rotated_at: iso(r.rotatedAt),
  last_used_at: iso(r.lastUsedAt),
  revoked_at: iso(r.revokedAt),
});
const columns = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  role: apiKeys.role,
  scopes: apiKeys.scopes,
  createdAt: apiKeys.createdAt,
  rotatedAt: apiKeys.rotatedAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
};

export async function createApiKey(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  body: z.infer<typeof CreateApiKeyBody>,
): Promise<NewApiKeyView> {
  const fresh = await newApiKey();
  const [rows] = await runInDatabase(config, userCaller(principal), (db) => [
    db
      .insert(apiKeys)
      .values({
        tenantId: principal.tenantId,
        name: body.name,
        prefix: fresh.prefix,
        keyHash: fresh.hash,
        role: body.role,
        scopes: body.scopes,
        createdBy: principal.userId,
      })
      .returning(columns),
    auditAsUser(db, facts, principal, {
      action: "apikey.create",
      targetType: "api_key",
      targetId: fresh.prefix,
      success: true,
      details: { role: body.role, scopes: body.scopes },
    }),
  ]);
  return { ...view(rows[0]!), key: fresh.key };
}

export async function listApiKeys(
  config: Config,
  principal: Principal,
  page: { offset: number; limit: number },
): Promise<z.infer<typeof ApiKeyPage>> {
  const { offset, limit } = page;
  const [rows, totals] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db
        .select(columns)
        .from(apiKeys)
        .where(eq(apiKeys.tenantId, principal.tenantId))
        .orderBy(desc(apiKeys.createdAt), apiKeys.id)
        .offset(offset)
        .limit(limit),
      db.select({ total: count() }).from(apiKeys).where(eq(apiKeys.tenantId, principal.tenantId)),
    ],
    { readOnly: true },
  );
  return { data: rows.map(view), total: totals[0]?.total ?? 0, offset, limit };
}

/** The prefix of a key of the caller's tenant (its Durable Object's name), or 404. */
async function prefixOf(config: Config, principal: Principal, keyId: string, activeOnly: boolean): Promise<string> {
  const [rows] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db
        .select({ prefix: apiKeys.prefix })
        .from(apiKeys)
        .where(and(eq(apiKeys.id, keyId), activeOnly ? isNull(apiKeys.revokedAt) : undefined)),
    ],
    { readOnly: true },
  );
  const prefix = rows[0]?.prefix;
  if (!prefix) throw new AppError("RESOURCE_NOT_FOUND", activeOnly ? "No such active API key" : "No such API key");
  return prefix;
}

/** A new secret for an active key; the old one stops working before this answers (behind raised versions). */
export async function rotateApiKey(
  config: Config,
  env: Env,
  facts: RequestFacts,
  principal: Principal,
  keyId: string,
): Promise<NewApiKeyView> {
  const prefix = await prefixOf(config, principal, keyId, true);
  const fresh = await newApiKey(prefix);
  const [rows] = await behindRaisedVersions(env, `apikey:${prefix}`, ["sessionVersion"], facts.now, () =>
    runInDatabase(config, userCaller(principal), (db) => [
      db
        .update(apiKeys)
        .set({ keyHash: fresh.hash, rotatedAt: new Date(facts.now) })
        .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)))
        .returning(columns),
      auditAsUser(db, facts, principal, { action: "apikey.rotate", targetType: "api_key", targetId: prefix, success: true }),
    ]),
  );
  if (!rows[0]) throw new AppError("RESOURCE_NOT_FOUND", "No such active API key");
  return { ...view(rows[0]), key: fresh.key };
}

/**
 * The key stops working before this answers (behind raised versions). Revoking a key already revoked changes
 * nothing and answers the same, so a retry after a 503 finishes the job.
 */
export async function revokeApiKey(config: Config, env: Env, facts: RequestFacts, principal: Principal, keyId: string): Promise<void> {
  const prefix = await prefixOf(config, principal, keyId, false);
  await behindRaisedVersions(env, `apikey:${prefix}`, ["sessionVersion"], facts.now, () =>
    runInDatabase(config, userCaller(principal), (db) => [
      db.execute(sql`
        with revoked as (update api_keys set revoked_at = ${new Date(facts.now).toISOString()} where id = ${keyId} and revoked_at is null returning prefix)
        insert into audit_log ${AUDIT_COLUMNS}
        select ${auditValues(facts, principal, { action: "apikey.revoke", targetType: "api_key", targetId: sql`prefix` })} from revoked`),
    ]),
  );
}
