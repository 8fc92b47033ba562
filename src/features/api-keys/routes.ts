import { createRoute, z } from "@hono/zod-openapi";
import { and, count, desc, eq, isNull, sql } from "drizzle-orm";
import { newApiKey } from "../../auth/api-keys";
import { limiterFor } from "../../auth/limiter";
import { PERMISSIONS, type Permission } from "../../auth/permissions";
import { userCaller } from "../../auth/principal";
import { signedIn } from "../../auth/guard";
import { runInDatabase } from "../../db/door";
import { apiKeys } from "../../db/schema";
import { ROLES } from "../../kernel/access";
import { AppError, type ErrorCode } from "../../edge/errors";
import { log } from "../../edge/logger";
import { OffsetQuery } from "../../edge/pagination";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../edge/openapi";
import { AUDIT_COLUMNS, auditAsUser, auditValues, requestFacts } from "../audit/record";

const KEY_ROLES = ROLES.filter((r) => r !== "system_admin") as [Exclude<(typeof ROLES)[number], "system_admin">, ...Exclude<(typeof ROLES)[number], "system_admin">[]];
const PERMISSION_NAMES = Object.keys(PERMISSIONS) as [Permission, ...Permission[]];

const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    role: z.enum(KEY_ROLES),
    scopes: z.array(z.enum(PERMISSION_NAMES)),
    created_at: z.string(),
    rotated_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi("ApiKey");
const NewApiKeySchema = ApiKeySchema.extend({ key: z.string().openapi({ description: "Shown once; store it now." }) }).openapi("NewApiKey");
const CreateBody = z
  .object({ name: z.string().min(1).max(100), role: z.enum(KEY_ROLES), scopes: z.array(z.enum(PERMISSION_NAMES)).max(PERMISSION_NAMES.length).default([]) })
  .openapi("CreateApiKey");
const KeyParams = z.object({ key_id: z.uuid().openapi({ param: { name: "key_id", in: "path" } }) });

const ERRORS: ErrorCode[] = ["VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS];
const iso = (d: Date | null) => (d ? d.toISOString() : null);

type Row = typeof apiKeys.$inferSelect;
const view = (r: Pick<Row, "id" | "name" | "prefix" | "role" | "scopes" | "createdAt" | "rotatedAt" | "lastUsedAt" | "revokedAt">) => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  role: r.role as (typeof KEY_ROLES)[number],
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

/** The key's cached lookups end at once: its Durable Object's version rises. */
async function invalidate(env: Parameters<typeof limiterFor>[0], prefix: string, nowMs: number) {
  try {
    await limiterFor(env, `apikey:${prefix}`).raiseVersions({ sessionVersion: nowMs });
  } catch (error) {
    // Requests that cannot reach the object look the key up in Postgres every time.
    log("error", "version_raise_failed", { key_prefix: prefix, error: (error as Error).message });
  }
}

const create = createRoute({
  method: "post",
  path: "/v1/api-keys",
  tags: ["API keys"],
  summary: "Create a service API key (System Admin). The key is shown once.",
  ...signedIn("apikey:manage"),
  request: { body: jsonBody(CreateBody) },
  responses: { 201: jsonResponse("Created", NewApiKeySchema), ...errorResponses(...ERRORS) },
});

const list = createRoute({
  method: "get",
  path: "/v1/api-keys",
  tags: ["API keys"],
  summary: "List the tenant's API keys (no secrets)",
  ...signedIn("apikey:manage"),
  request: { query: OffsetQuery },
  responses: {
    200: jsonResponse("A page", z.object({ data: z.array(ApiKeySchema), total: z.number().int(), offset: z.number().int(), limit: z.number().int() })),
    ...errorResponses(...ERRORS),
  },
});

const rotate = createRoute({
  method: "post",
  path: "/v1/api-keys/{key_id}/rotate",
  tags: ["API keys"],
  summary: "Replace a key's secret; the old secret stops working at once",
  ...signedIn("apikey:manage"),
  request: { params: KeyParams },
  responses: { 200: jsonResponse("Rotated", NewApiKeySchema), ...errorResponses(...ERRORS) },
});

const revoke = createRoute({
  method: "delete",
  path: "/v1/api-keys/{key_id}",
  tags: ["API keys"],
  summary: "Revoke a key; it stops working at once",
  ...signedIn("apikey:manage"),
  request: { params: KeyParams },
  responses: { 204: { description: "Revoked" }, ...errorResponses(...ERRORS) },
});

export const apiKeyRoutes = createRouter()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const principal = c.get("principal");
    const facts = requestFacts(c);
    const fresh = await newApiKey();
    const [rows] = await runInDatabase(c.get("config"), userCaller(principal), (db) => [
      db
        .insert(apiKeys)
        .values({ tenantId: principal.tenantId, name: body.name, prefix: fresh.prefix, keyHash: fresh.hash, role: body.role, scopes: body.scopes, createdBy: principal.userId })
        .returning(columns),
      auditAsUser(db, facts, principal, { action: "apikey.create", targetType: "api_key", targetId: fresh.prefix, success: true, details: { role: body.role, scopes: body.scopes } }),
    ]);
    return c.json({ ...view(rows[0]!), key: fresh.key }, 201);
  })
  .openapi(list, async (c) => {
    const { offset, limit } = c.req.valid("query");
    const principal = c.get("principal");
    const [rows, totals] = await runInDatabase(
      c.get("config"),
      userCaller(principal),
      (db) => [
        db.select(columns).from(apiKeys).where(eq(apiKeys.tenantId, principal.tenantId)).orderBy(desc(apiKeys.createdAt), apiKeys.id).offset(offset).limit(limit),
        db.select({ total: count() }).from(apiKeys).where(eq(apiKeys.tenantId, principal.tenantId)),
      ],
      { readOnly: true },
    );
    return c.json({ data: rows.map(view), total: totals[0]?.total ?? 0, offset, limit }, 200);
  })
  .openapi(rotate, async (c) => {
    const { key_id } = c.req.valid("param");
    const principal = c.get("principal");
    const facts = requestFacts(c);
    const [existing] = await runInDatabase(c.get("config"), userCaller(principal), (db) => [
      db.select({ prefix: apiKeys.prefix }).from(apiKeys).where(and(eq(apiKeys.id, key_id), isNull(apiKeys.revokedAt))),
    ], { readOnly: true });
    const prefix = existing[0]?.prefix;
    if (!prefix) throw new AppError("RESOURCE_NOT_FOUND", "No such active API key");
    const fresh = await newApiKey(prefix);
    const [rows] = await runInDatabase(c.get("config"), userCaller(principal), (db) => [
      db
        .update(apiKeys)
        .set({ keyHash: fresh.hash, rotatedAt: new Date(facts.now) })
        .where(and(eq(apiKeys.id, key_id), isNull(apiKeys.revokedAt)))
        .returning(columns),
      auditAsUser(db, facts, principal, { action: "apikey.rotate", targetType: "api_key", targetId: prefix, success: true }),
    ]);
    if (!rows[0]) throw new AppError("RESOURCE_NOT_FOUND", "No such active API key");
    await invalidate(c.env, prefix, facts.now);
    return c.json({ ...view(rows[0]), key: fresh.key }, 200);
  })
  .openapi(revoke, async (c) => {
    const { key_id } = c.req.valid("param");
    const principal = c.get("principal");
    const facts = requestFacts(c);
    const [rows] = await runInDatabase(c.get("config"), userCaller(principal), (db) => [
      db.execute<{ prefix: string }>(sql`
        with revoked as (update api_keys set revoked_at = ${new Date(facts.now).toISOString()} where id = ${key_id} and revoked_at is null returning prefix),
        audit as (insert into audit_log ${AUDIT_COLUMNS}
                  select ${auditValues(facts, principal, { action: "apikey.revoke", targetType: "api_key", targetId: sql`prefix` })} from revoked returning id)
        select prefix from revoked`),
    ]);
    const prefix = rows.rows[0]?.prefix;
    if (!prefix) throw new AppError("RESOURCE_NOT_FOUND", "No such active API key");
    await invalidate(c.env, prefix, facts.now);
    return c.body(null, 204);
  });
