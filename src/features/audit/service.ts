import type { z } from "@hono/zod-openapi";
import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { type Db, runInDatabase } from "../../db/door";
import { auditLog } from "../../db/schema";
import { auditAsUser, type RequestFacts } from "../../domain/audit";
import type { Config } from "../../kernel/config";
import { AUDIT_EXPORT_PAGE_ROWS } from "../../kernel/constants";
import type { Principal } from "../../kernel/context";
import { csvCell, csvLine } from "../../kernel/csv";
import { log } from "../../kernel/logger";
import { decodeCursor, isInteger, pageOf } from "../../kernel/pagination";
import type { AuditPage, AuditQuery, Verification } from "./schemas";

type VerificationRow = {
  checked: string;
  last_id: string | null;
  broken_id: string | null;
  broken_chain: number | null;
  broken_seq: string | null;
  reason: string | null;
};

export async function verifyAuditChains(
  config: Config,
  principal: Principal,
  afterId: number,
  limit: number,
): Promise<z.infer<typeof Verification>> {
  const [result] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [db.execute<VerificationRow>(sql`select * from app.verify_audit_chains(${afterId}, ${limit})`)],
    { readOnly: true },
  );
  const row = result.rows[0]!;
  const broken =
    row.reason === null
      ? null
      : {
          id: row.broken_id === null ? null : Number(row.broken_id),
          chain: row.broken_chain,
          chain_seq: row.broken_seq === null ? null : Number(row.broken_seq),
          reason: row.reason,
        };
  const checked = Number(row.checked);
  return { checked, valid: broken === null, first_broken: broken, next_after_id: checked === limit ? Number(row.last_id) : null };
}

type AuditFilters = Omit<z.infer<typeof AuditQuery>, "limit" | "cursor">;
type AuditRow = typeof auditLog.$inferSelect;

/** The rows of the caller's tenant the filters select, below `beforeId` when given. */
function selected(principal: Principal, filters: AuditFilters, beforeId: number | null) {
  const { action, actor_id, target_type, target_id, from, to } = filters;
  return and(
    eq(auditLog.tenantId, principal.tenantId),
    beforeId === null ? undefined : lt(auditLog.id, beforeId),
    action ? eq(auditLog.action, action) : undefined,
    actor_id ? eq(auditLog.actorId, actor_id) : undefined,
    target_type ? eq(auditLog.targetType, target_type) : undefined,
    target_id ? eq(auditLog.targetId, target_id) : undefined,
    // Compared by Postgres, to the microsecond the instant names.
    from ? gte(auditLog.occurredAt, sql`${from}::timestamptz`) : undefined,
    to ? lt(auditLog.occurredAt, sql`${to}::timestamptz`) : undefined,
  );
}

type AuditEntryView = z.infer<typeof AuditPage>["data"][number];

const entryView = (r: AuditRow): AuditEntryView => ({
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
  personal_details: r.personalDetails as Record<string, unknown> | null,
  personal_data_erased: r.personalSalt === null,
});

export async function listAuditEntries(
  config: Config,
  principal: Principal,
  query: z.infer<typeof AuditQuery>,
): Promise<z.infer<typeof AuditPage>> {
  const { limit, cursor, ...filters } = query;
  const before = cursor ? decodeCursor<[number]>("audit", cursor, [isInteger])[0] : null;
  const [rows] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db
        .select()
        .from(auditLog)
        .where(selected(principal, filters, before))
        .orderBy(desc(auditLog.id))
        .limit(limit + 1),
    ],
    { readOnly: true },
  );
  const page = pageOf("audit", rows, limit, (r) => [r.id]);
  return { data: page.data.map(entryView), pagination: page.pagination };
}

/** The CSV columns: every field of an entry, in the order the API documents them (objects as JSON). */
const CSV_COLUMNS = [
  "id",
  "occurred_at",
  "actor_type",
  "actor_id",
  "action",
  "target_type",
  "target_id",
  "success",
  "ip",
  "user_agent",
  "request_id",
  "details",
  "personal_details",
  "personal_data_erased",
] as const satisfies readonly (keyof AuditEntryView)[];

export const EXPORT_FORMATS = {
  ndjson: { contentType: "application/x-ndjson; charset=utf-8", header: null, line: (e: AuditEntryView) => JSON.stringify(e) },
  csv: {
    contentType: "text/csv; charset=utf-8",
    header: CSV_COLUMNS.join(","),
    line: (e: AuditEntryView) => csvLine(CSV_COLUMNS.map((column) => csvCell(e[column]))),
  },
} as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;

/**
 * The filtered audit log, newest first, as NDJSON or CSV, read a page (AUDIT_EXPORT_PAGE_ROWS) per round trip
 * while the client reads: memory stays bounded whatever the log's size. The first page is read before anything
 * is answered, with the audit row of the export itself in the same round trip, so a failure then is an ordinary
 * error answer; a failure after it ends the stream abruptly (logged), so the client knows it is incomplete.
 */
export async function exportAuditEntries(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  filters: AuditFilters,
  format: ExportFormat,
): Promise<ReadableStream<Uint8Array>> {
  const page = (db: Db, before: number | null) =>
    db
      .select()
      .from(auditLog)
      .where(selected(principal, filters, before))
      .orderBy(desc(auditLog.id))
      .limit(AUDIT_EXPORT_PAGE_ROWS);
  const [first] = await runInDatabase(config, userCaller(principal), (db) => [
    page(db, null),
    auditAsUser(db, facts, principal, {
      action: "audit.export",
      targetType: "audit_log",
      targetId: principal.tenantId,
      success: true,
      details: { format, filters },
    }),
  ]);
  const { header, line } = EXPORT_FORMATS[format];
  const encoder = new TextEncoder();
  const lines = (rows: AuditRow[]) => encoder.encode(rows.map((r) => `${line(entryView(r))}\n`).join(""));
  let next: AuditRow[] | null = first;
  let before: number | null = null;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (header) controller.enqueue(encoder.encode(`${header}\n`));
    },
    async pull(controller) {
      let rows = next;
      next = null;
      if (rows === null) {
        try {
          [rows] = await runInDatabase(config, userCaller(principal), (db) => [page(db, before)], { readOnly: true });
        } catch (error) {
          log("error", "audit_export_failed", { request_id: facts.requestId, error: (error as Error).message });
          controller.error(error);
          return;
        }
      }
      if (rows.length > 0) {
        controller.enqueue(lines(rows));
        before = rows.at(-1)!.id;
      }
      if (rows.length < AUDIT_EXPORT_PAGE_ROWS) controller.close();
    },
  });
}
