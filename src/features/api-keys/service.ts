import type { z } from "@hono/zod-openapi";
import { and, count, desc, eq, isNull, sql } from "drizzle-orm";
import { newApiKey } from "../../auth/api-keys";
import { raiseVersions } from "../../auth/limiter";
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

export async function rotateApiKey(
  config: Config,
  env: Env,
  facts: RequestFacts,
  principal: Principal,
  keyId: string,
): Promise<NewApiKeyView> {
  const [existing] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db
        .select({ prefix: apiKeys.prefix })
        .from(apiKeys)
        .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt))),
    ],
    { readOnly: true },
  );
  const prefix = existing[0]?.prefix;
  if (!prefix) throw new AppError("RESOURCE_NOT_FOUND", "No such active API key");
  const fresh = await newApiKey(prefix);
  const [rows] = await runInDatabase(config, userCaller(principal), (db) => [
    db
      .update(apiKeys)
      .set({ keyHash: fresh.hash, rotatedAt: new Date(facts.now) })
      .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)))
      .returning(columns),
    auditAsUser(db, facts, principal, { action: "apikey.rotate", targetType: "api_key", targetId: prefix, success: true }),
  ]);
  if (!rows[0]) throw new AppError("RESOURCE_NOT_FOUND", "No such active API key");
  // The key's cached lookups end at once: its Durable Object's version rises.
  await raiseVersions(env, `apikey:${prefix}`, { sessionVersion: facts.now });
  return { ...view(rows[0]), key: fresh.key };
}

export async function revokeApiKey(config: Config, env: Env, facts: RequestFacts, principal: Principal, keyId: string): Promise<void> {
  const [rows] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<{ prefix: string }>(sql`
      with revoked as (update api_keys set revoked_at = ${new Date(facts.now).toISOString()} where id = ${keyId} and revoked_at is null returning prefix),
      audit as (insert into audit_log ${AUDIT_COLUMNS}
                select ${auditValues(facts, principal, { action: "apikey.revoke", targetType: "api_key", targetId: sql`prefix` })} from revoked returning id)
      select prefix from revoked`),
  ]);
  const prefix = rows.rows[0]?.prefix;
  if (!prefix) throw new AppError("RESOURCE_NOT_FOUND", "No such active API key");
  // The key's cached lookups end at once: its Durable Object's version rises.
  await raiseVersions(env, `apikey:${prefix}`, { sessionVersion: facts.now });
}
