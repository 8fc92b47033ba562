import type { z } from "@hono/zod-openapi";
import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { auditLog } from "../../db/schema";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import { decodeCursor, isInteger, pageOf } from "../../kernel/pagination";
import type { AuditPage, AuditQuery, Verification } from "./schemas";

type VerificationRow = {
  checked: string;
  last_seq: string | null;
  broken_id: string | null;
  broken_seq: string | null;
  reason: string | null;
};

export async function verifyAuditChain(
  config: Config,
  principal: Principal,
  afterSeq: number,
  limit: number,
): Promise<z.infer<typeof Verification>> {
  const [result] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [db.execute<VerificationRow>(sql`select * from app.verify_audit_chain(${afterSeq}, ${limit})`)],
    { readOnly: true },
  );
  const row = result.rows[0]!;
  const broken = row.broken_id === null ? null : { id: Number(row.broken_id), chain_seq: Number(row.broken_seq), reason: row.reason! };
  const checked = Number(row.checked);
  return { checked, valid: broken === null, first_broken: broken, next_after_seq: checked === limit ? Number(row.last_seq) : null };
}

export async function listAuditEntries(
  config: Config,
  principal: Principal,
  query: z.infer<typeof AuditQuery>,
): Promise<z.infer<typeof AuditPage>> {
  const { limit, cursor, action, actor_id, target_type, target_id, from, to } = query;
  const conditions = [
    eq(auditLog.tenantId, principal.tenantId),
    cursor ? lt(auditLog.id, decodeCursor<[number]>("audit", cursor, [isInteger])[0]) : undefined,
    action ? eq(auditLog.action, action) : undefined,
    actor_id ? eq(auditLog.actorId, actor_id) : undefined,
    target_type ? eq(auditLog.targetType, target_type) : undefined,
    target_id ? eq(auditLog.targetId, target_id) : undefined,
    // Compared by Postgres, to the microsecond the instant names.
    from ? gte(auditLog.occurredAt, sql`${from}::timestamptz`) : undefined,
    to ? lt(auditLog.occurredAt, sql`${to}::timestamptz`) : undefined,
  ];
  const [rows] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db
        .select()
        .from(auditLog)
        .where(and(...conditions))
        .orderBy(desc(auditLog.id))
        .limit(limit + 1),
    ],
    { readOnly: true },
  );
  const page = pageOf("audit", rows, limit, (r) => [r.id]);
  return {
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
  };
}
