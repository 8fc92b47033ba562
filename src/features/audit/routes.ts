import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { signedIn } from "../../auth/guard";
import { runInDatabase } from "../../db/door";
import { auditLog } from "../../db/schema";
import { AppError } from "../../edge/errors";
import { createRouter, errorResponses, jsonResponse, SIGNED_IN_ERRORS } from "../../edge/openapi";

const MAX_PAGE = 200;

const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, "a cursor from a previous page").optional(),
  action: z.string().regex(/^[a-z_]+(\.[a-z_]+)*$/, "an action such as auth.login").max(64).optional(),
});

const AuditEntry = z
  .object({
    id: z.number().int(),
    occurred_at: z.string(),
    actor_type: z.string(),
    actor_id: z.string().nullable(),
    action: z.string(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    success: z.boolean(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi("AuditEntry");

const AuditPage = z
  .object({ data: z.array(AuditEntry), pagination: z.object({ next_cursor: z.string().nullable(), has_more: z.boolean() }) })
  .openapi("AuditPage");

/** Cursors are opaque to clients: the last id seen, base64url-encoded. */
const encodeCursor = (id: number) => btoa(`a${id}`).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
function decodeCursor(cursor: string): number {
  let text = "";
  try {
    text = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    // falls through to the error below
  }
  const id = /^a(\d{1,18})$/.exec(text)?.[1];
  if (!id) throw new AppError("VALIDATION_FAILED", "The request does not match the schema", { issues: [{ path: "cursor", message: "not a cursor from this API", code: "custom" }] });
  return Number(id);
}

const listAudit = createRoute({
  method: "get",
  path: "/v1/audit",
  tags: ["Audit"],
  summary: "The tenant's audit log, newest first (HR Admin, System Admin, Auditor)",
  ...signedIn("audit:read"),
  request: { query: AuditQuery },
  responses: {
    200: jsonResponse("A page of entries", AuditPage),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

export const auditRoutes = createRouter().openapi(listAudit, async (c) => {
  const { limit, cursor, action } = c.req.valid("query");
  const principal = c.get("principal");
  const conditions = [
    eq(auditLog.tenantId, principal.tenantId),
    ...(cursor ? [lt(auditLog.id, decodeCursor(cursor))] : []),
    ...(action ? [eq(auditLog.action, action)] : []),
  ];
  const [rows] = await runInDatabase(
    c.get("config"),
    userCaller(principal),
    (db) => [db.select().from(auditLog).where(and(...conditions)).orderBy(desc(auditLog.id)).limit(limit + 1)],
    { readOnly: true },
  );
  const page = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return c.json(
    {
      data: page.map((r) => ({
        id: r.id,
        occurred_at: r.occurredAt.toISOString(),
        actor_type: r.actorType,
        actor_id: r.actorId,
        action: r.action,
        target_type: r.targetType,
        target_id: r.targetId,
        success: r.success,
        ip: r.ip,
        user_agent: r.userAgent,
        request_id: r.requestId,
        details: r.details as Record<string, unknown>,
      })),
      pagination: { next_cursor: hasMore ? encodeCursor(page.at(-1)!.id) : null, has_more: hasMore },
    },
    200,
  );
});
