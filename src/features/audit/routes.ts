import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { signedIn } from "../../auth/guard";
import { runInDatabase } from "../../db/door";
import { auditLog } from "../../db/schema";
import { createRouter, errorResponses, jsonResponse, SIGNED_IN_ERRORS } from "../../edge/openapi";
import { decodeCursor, isInteger, PageQuery, pageOf, Pagination } from "../../edge/pagination";

const AuditQuery = PageQuery.extend({
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
  .object({ data: z.array(AuditEntry), pagination: Pagination })
  .openapi("AuditPage");

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

const VERIFY_CHUNK = 100_000;
const VerificationQuery = z.object({
  after_seq: z.coerce.number().int().min(0).default(0).openapi({ description: "Start after this chain position (`next_after_seq` of the previous answer)" }),
  limit: z.coerce.number().int().min(1).max(VERIFY_CHUNK).default(VERIFY_CHUNK),
});
const Verification = z
  .object({
    checked: z.number().int().openapi({ description: "Rows of the tenant's chain checked by this call" }),
    valid: z.boolean(),
    first_broken: z.object({ id: z.number().int(), chain_seq: z.number().int(), reason: z.string() }).nullable(),
    next_after_seq: z.number().int().nullable().openapi({ description: "Where to continue; null once the end of the chain was checked" }),
  })
  .openapi("AuditChainVerification");

const verifyChain = createRoute({
  method: "get",
  path: "/v1/audit/verification",
  tags: ["Audit"],
  summary: "Verify the tenant's audit hash chain, up to 100 000 rows per call; names the first row that does not follow from its predecessor (HR Admin, System Admin, Auditor)",
  ...signedIn("audit:read"),
  request: { query: VerificationQuery },
  responses: { 200: jsonResponse("The verdict", Verification), ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS) },
});

type VerificationRow = { checked: string; last_seq: string | null; broken_id: string | null; broken_seq: string | null; reason: string | null };

export const auditRoutes = createRouter()
  .openapi(verifyChain, async (c) => {
    const { after_seq, limit } = c.req.valid("query");
    const [result] = await runInDatabase(
      c.get("config"),
      userCaller(c.get("principal")),
      (db) => [db.execute<VerificationRow>(sql`select * from app.verify_audit_chain(${after_seq}, ${limit})`)],
      { readOnly: true },
    );
    const row = result.rows[0]!;
    const broken = row.broken_id === null ? null : { id: Number(row.broken_id), chain_seq: Number(row.broken_seq), reason: row.reason! };
    const checked = Number(row.checked);
    return c.json({ checked, valid: broken === null, first_broken: broken, next_after_seq: checked === limit ? Number(row.last_seq) : null }, 200);
  })
  .openapi(listAudit, async (c) => {
  const { limit, cursor, action } = c.req.valid("query");
  const principal = c.get("principal");
  const conditions = [
    eq(auditLog.tenantId, principal.tenantId),
    ...(cursor ? [lt(auditLog.id, decodeCursor<[number]>(cursor, [isInteger])[0])] : []),
    ...(action ? [eq(auditLog.action, action)] : []),
  ];
  const [rows] = await runInDatabase(
    c.get("config"),
    userCaller(principal),
    (db) => [db.select().from(auditLog).where(and(...conditions)).orderBy(desc(auditLog.id)).limit(limit + 1)],
    { readOnly: true },
  );
  const page = pageOf(rows, limit, (r) => [r.id]);
  return c.json(
    {
      data: page.data.map((r) => ({
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
      pagination: page.pagination,
    },
    200,
  );
});
