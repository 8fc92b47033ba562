import { sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { auditAsUser, type RequestFacts } from "../../domain/audit";
import {
  openApproval,
  openComment,
  openRequest,
  openRequestRows,
  requestsRead,
  type StoredComment,
  type StoredRequest,
  type StoredRequestRow,
} from "../../domain/leave-requests";
import { entriesRead, openEntry, type StoredEntry, type StoredEntryRow } from "../../domain/ledger-entries";
import { KeyRing } from "../../domain/sealing";
import type { Config } from "../../kernel/config";
import { SUBJECT_EXPORT_PAGE_ITEMS, TENANT_EXPORT_PAGE_ROWS } from "../../kernel/constants";
import type { Principal } from "../../kernel/context";
import { AppError } from "../../kernel/errors";
import { log } from "../../kernel/logger";
import { EXPORT_FORMAT, type StoredPage, TENANT_EXPORT_FORMAT } from "./schemas";

/** The data subject's export (one JSON document) and the tenant's (NDJSON), both streamed a page per round trip. */

const SECTIONS = ["ledger_entries", "leave_requests", "approvals_given", "comments", "audit"] as const;
type Section = (typeof SECTIONS)[number];

/** How each section's items are shown: sealed fields opened, the keys' ids left out. */
const OPENERS: Record<Section, (ring: KeyRing, item: Record<string, unknown>) => Promise<unknown>> = {
  ledger_entries: (ring, item) => openEntry(ring, item as StoredEntry),
  leave_requests: (ring, item) => openRequest(ring, item as unknown as StoredRequest),
  approvals_given: async (ring, item) => {
    const approval = item as { id: string; data_key_id: string | null; comment: string | null };
    return { id: approval.id, ...(await openApproval(ring, approval)) };
  },
  comments: (ring, item) => {
    const { position: _, ...comment } = item as StoredComment & { position: number };
    return openComment(ring, comment);
  },
  audit: async (_ring, item) => item,
};

/**
 * Everything held about one employee (the caller, or anyone for HR), as one JSON document streamed while the
 * client reads: the first part and the first page of every section in one round trip, opened before anything
 * is answered (so a refusal or a failure then is an ordinary error), then a page (SUBJECT_EXPORT_PAGE_ITEMS)
 * per round trip — memory stays bounded whatever the history's length. A failure midway ends the stream
 * abruptly (logged with the request id), so an incomplete document never parses as a complete one.
 */
export async function exportSubject(config: Config, principal: Principal, facts: RequestFacts, employeeId: string) {
  // Everything about a person, opened: only for a person signed in, never a machine credential.
  if (principal.kind !== "user") throw new AppError("FORBIDDEN", "API keys cannot export anyone's data");
  const exportedAt = new Date(facts.now).toISOString();
  const [first] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<{ doc: Record<string, unknown> & { sections: Record<Section, StoredPage> } }>(
      sql`select app.subject_export(${employeeId}::uuid, ${exportedAt}::timestamptz, ${JSON.stringify({
        ip: facts.ip,
        user_agent: facts.userAgent,
        request_id: facts.requestId,
      })}::jsonb, ${SUBJECT_EXPORT_PAGE_ITEMS}) as doc`,
    ),
  ]);
  const { sections, ...head } = first.rows[0]!.doc;
  const open = async (section: Section, page: StoredPage) => {
    const ring = new KeyRing(config, principal, facts.now, page.keys);
    return { items: await Promise.all(page.items.map((item) => OPENERS[section](ring, item))), next: page.next };
  };
  const readPage = async (section: Section, after: Record<string, unknown>) => {
    const [result] = await runInDatabase(
      config,
      userCaller(principal),
      (db) => [
        db.execute<{ page: StoredPage }>(
          sql`select app.subject_export_page(${employeeId}::uuid, ${section}, ${JSON.stringify(after)}::jsonb, ${SUBJECT_EXPORT_PAGE_ITEMS}) as page`,
        ),
      ],
      { readOnly: true },
    );
    return open(section, result.rows[0]!.page);
  };
  const firstPages = await Promise.all(SECTIONS.map((section) => open(section, sections[section])));

  async function* documentText() {
    const opening = JSON.stringify({ format: EXPORT_FORMAT, exported_at: exportedAt, ...head });
    yield opening.slice(0, -1);
    for (const [i, section] of SECTIONS.entries()) {
      yield `,${JSON.stringify(section)}:[`;
      let page = firstPages[i]!;
      let separator = "";
      for (;;) {
        if (page.items.length > 0) {
          yield separator + page.items.map((item) => JSON.stringify(item)).join(",");
          separator = ",";
        }
        if (!page.next) break;
        page = await readPage(section, page.next);
      }
      yield "]";
    }
    yield "}\n";
  }
  return streamOf(documentText(), facts);
}

/** A byte stream of `text`'s chunks, read as the client reads; a failure ends it abruptly, logged with the request id. */
function streamOf(text: AsyncGenerator<string>, facts: RequestFacts): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await text.next();
        if (chunk.done) controller.close();
        else controller.enqueue(encoder.encode(chunk.value));
      } catch (error) {
        log("error", "export_failed", { request_id: facts.requestId, error: (error as Error).message });
        controller.error(error);
      }
    },
  });
}

/** The sections of the tenant's export, in order: each a keyset over the tenant's rows, a page per round trip. */
const TENANT_SECTIONS = ["employee", "ledger_entry", "leave_request", "audit"] as const;
type TenantSection = (typeof TENANT_SECTIONS)[number];
type TenantPage = { lines: unknown[]; next: string | null };

/**
 * One page of a section after `after` (the last key of the page before), as the caller reads it under RLS, opened;
 * pages of reasons, comments and notes log the read per person, as every read of another's confidential data.
 */
async function tenantPage(
  config: Config,
  principal: Principal,
  facts: RequestFacts,
  section: TenantSection,
  after: string | null,
): Promise<TenantPage> {
  const limit = TENANT_EXPORT_PAGE_ROWS;
  const caller = userCaller(principal);
  const keyOf = (rows: { key: string }[]) => (rows.length === limit ? rows.at(-1)!.key : null);
  switch (section) {
    case "employee": {
      const [result] = await runInDatabase(
        config,
        caller,
        (db) => [
          db.execute<{ line: unknown; key: string }>(sql`select jsonb_build_object('type', 'employee',
              'user', jsonb_build_object('id', u.id, 'email', u.email, 'display_name', u.display_name, 'status', u.status,
                                         'created_at', u.created_at, 'erased_at', u.erased_at),
              'employee', jsonb_build_object('id', e.id, 'employee_number', e.employee_number, 'manager_id', e.manager_id,
                                             'time_zone', e.time_zone, 'hire_date', e.hire_date, 'work_week', to_jsonb(e.work_week)),
              'roles', coalesce((select jsonb_agg(r.role order by r.role) from role_assignments r where r.user_id = u.id), '[]'),
              'policy_assignments', coalesce((select jsonb_agg(jsonb_build_object('policy_key', a.policy_key, 'starts_on', a.starts_on,
                                                                                  'ends_on', a.ends_on) order by a.policy_key, a.starts_on)
                                              from policy_assignments a where a.employee_id = e.id), '[]')) as line, e.id::text as key
            from employees e join users u on u.id = e.user_id
            where e.tenant_id = ${principal.tenantId} and e.id > ${after ?? "00000000-0000-0000-0000-000000000000"}::uuid
            order by e.id limit ${limit}`),
        ],
        { readOnly: true },
      );
      return { lines: result.rows.map((r) => r.line), next: keyOf(result.rows) };
    }
    case "ledger_entry": {
      const [result] = await runInDatabase(config, caller, (db) => [
        db.execute<StoredEntryRow>(entriesRead(facts, principal, sql`e.id > ${Number(after ?? 0)}`, sql`e.id`, limit)),
      ]);
      const ring = new KeyRing(config, principal, facts.now, Object.assign({}, ...result.rows.map((r) => r.keys)));
      const entries = await Promise.all(result.rows.map((r) => openEntry(ring, r.entry)));
      return {
        lines: entries.map((entry) => ({ type: "ledger_entry", ...entry })),
        next: keyOf(entries.map((e) => ({ key: String(e.id) }))),
      };
    }
    case "leave_request": {
      const [result] = await runInDatabase(config, caller, (db) => [
        db.execute<StoredRequestRow>(
          requestsRead(facts, principal, sql`r.id > ${after ?? "00000000-0000-0000-0000-000000000000"}::uuid`, sql`r.id`, limit),
        ),
      ]);
      const requests = await openRequestRows(config, principal, facts.now, result.rows);
      return {
        lines: requests.map((request) => ({ type: "leave_request", ...request })),
        next: keyOf(requests.map((r) => ({ key: r.id }))),
      };
    }
    case "audit": {
      const [result] = await runInDatabase(
        config,
        caller,
        (db) => [
          db.execute<{ line: Record<string, unknown>; key: string }>(sql`select app.audit_entry_json(a) as line, a.id::text as key
            from audit_log a where a.tenant_id = ${principal.tenantId} and a.id > ${Number(after ?? 0)} order by a.id limit ${limit}`),
        ],
        { readOnly: true },
      );
      return { lines: result.rows.map((r) => ({ type: "audit", ...r.line })), next: keyOf(result.rows) };
    }
  }
}

/**
 * The whole tenant as NDJSON, one record per line (`type`: tenant, employee, ledger_entry, leave_request, audit),
 * for a System Admin: reasons, comments and notes opened, every person's read logged. Streamed a page
 * (TENANT_EXPORT_PAGE_ROWS) per round trip while the client reads, so memory stays bounded whatever the tenant's
 * size; the export itself is audited (`tenant.export`) with the first page's read. A failure midway ends the
 * stream abruptly (logged), so an incomplete file is never mistaken for a complete one.
 */
export async function exportTenant(config: Config, principal: Principal, facts: RequestFacts): Promise<ReadableStream<Uint8Array>> {
  if (principal.kind !== "user") throw new AppError("FORBIDDEN", "API keys cannot export anyone's data");
  const [tenant] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<{ line: unknown }>(sql`select jsonb_build_object('type', 'tenant', 'id', t.id, 'slug', t.slug, 'name', t.name,
        'exported_at', ${new Date(facts.now).toISOString()}::text, 'format', ${TENANT_EXPORT_FORMAT}::text,
        'retention', jsonb_build_object('audit_years', t.audit_retention_years, 'confidential_years', t.confidential_retention_years)) as line
      from tenants t where t.id = ${principal.tenantId}`),
    auditAsUser(db, facts, principal, { action: "tenant.export", targetType: "tenant", targetId: principal.tenantId, success: true }),
  ]);
  const first = await tenantPage(config, principal, facts, "employee", null);
  async function* text() {
    yield `${JSON.stringify(tenant.rows[0]!.line)}\n`;
    for (const section of TENANT_SECTIONS) {
      let page = section === "employee" ? first : await tenantPage(config, principal, facts, section, null);
      for (;;) {
        if (page.lines.length > 0) yield page.lines.map((line) => `${JSON.stringify(line)}\n`).join("");
        if (page.next === null) break;
        page = await tenantPage(config, principal, facts, section, page.next);
      }
    }
  }
  return streamOf(text(), facts);
}
