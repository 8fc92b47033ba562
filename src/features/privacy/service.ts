import { sql } from "drizzle-orm";
import { behindRaisedVersions, raiseAfterCommit } from "../../auth/limiter";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { AUDIT_COLUMNS, auditValues, type RequestFacts } from "../../domain/audit";
import { openApproval, openRequest, type StoredRequest } from "../../domain/leave-requests";
import { openEntry, type StoredEntry } from "../../domain/ledger-entries";
import { KeyRing } from "../../domain/sealing";
import type { Config } from "../../kernel/config";
import { SUBJECT_EXPORT_PAGE_ITEMS } from "../../kernel/constants";
import type { Principal } from "../../kernel/context";
import type { Env } from "../../kernel/env";
import { AppError } from "../../kernel/errors";
import { log } from "../../kernel/logger";
import { type Erasure, EXPORT_FORMAT, type StoredPage } from "./schemas";

/**
 * Erases an employee's personal and confidential data (`app.erase_employee`, one transaction). Their session
 * and permission versions rise in their Durable Object before and after, as for a deactivation, so every token
 * and API key of theirs is refused from its next request. Safe to repeat (it finishes an erasure that answered 503).
 */
export async function eraseEmployee(config: Config, env: Env, facts: RequestFacts, principal: Principal, employeeId: string) {
  if (principal.kind !== "user") throw new AppError("FORBIDDEN", "API keys cannot erase anyone's data");
  const [found] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<{ user_id: string; keys: string[] }>(sql`select e.user_id,
        array(select k.prefix from api_keys k where k.created_by = e.user_id and k.revoked_at is null) as keys
        from employees e where e.id = ${employeeId}`),
    ],
    { readOnly: true },
  );
  const target = found.rows[0];
  if (!target) throw new AppError("RESOURCE_NOT_FOUND", "No such employee", { employee_id: employeeId });
  // Before the versions rise: a refusal must not end the caller's own sessions.
  if (target.user_id === principal.userId) throw new AppError("CONFLICT", "Nobody erases their own data; another System Admin must");
  const [erased] = await behindRaisedVersions(
    env,
    `user:${target.user_id}`,
    ["sessionVersion", "permissionVersion"],
    facts.now,
    ({ sessionVersion }) =>
      runInDatabase(config, userCaller(principal), (db) => [
        db.execute<{ erasure: Erasure & { revoked_key_prefixes: string[] } }>(
          sql`select app.erase_employee(${JSON.stringify({
            employee_id: employeeId,
            session_version: sessionVersion,
            now: new Date(facts.now).toISOString(),
            facts: { ip: facts.ip, user_agent: facts.userAgent, request_id: facts.requestId },
          })}::jsonb) as erasure`,
        ),
      ]),
    target.keys.map((prefix) => `apikey:${prefix}` as const),
  );
  const { revoked_key_prefixes, ...erasure } = erased.rows[0]!.erasure;
  // A key made between the first read and the erasure: its versions rise now (it is revoked already).
  for (const prefix of revoked_key_prefixes.filter((p) => !target.keys.includes(p)))
    await raiseAfterCommit(env, `apikey:${prefix}`, ["sessionVersion"], facts.now);
  return erasure;
}

const SECTIONS = ["ledger_entries", "leave_requests", "approvals_given", "audit"] as const;
type Section = (typeof SECTIONS)[number];

/** How each section's items are shown: sealed fields opened, the keys' ids left out. */
const OPENERS: Record<Section, (ring: KeyRing, item: Record<string, unknown>) => Promise<unknown>> = {
  ledger_entries: (ring, item) => openEntry(ring, item as StoredEntry),
  leave_requests: (ring, item) => openRequest(ring, item as unknown as StoredRequest),
  approvals_given: async (ring, item) => {
    const approval = item as { id: string; data_key_id: string | null; comment: string | null };
    return { id: approval.id, ...(await openApproval(ring, approval)) };
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
  const text = documentText();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await text.next();
        if (chunk.done) controller.close();
        else controller.enqueue(encoder.encode(chunk.value));
      } catch (error) {
        log("error", "subject_export_failed", { request_id: facts.requestId, error: (error as Error).message });
        controller.error(error);
      }
    },
  });
}

type RetentionRow = { audit_years: number; confidential_years: number | null };
const RETENTION_COLUMNS = sql`audit_retention_years as audit_years, confidential_retention_years as confidential_years`;

/** The caller's tenant's retention settings. */
export async function tenantRetention(config: Config, principal: Principal): Promise<RetentionRow> {
  const [result] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [db.execute<RetentionRow>(sql`select ${RETENTION_COLUMNS} from tenants where id = ${principal.tenantId}`)],
    { readOnly: true },
  );
  return result.rows[0]!;
}

/** Changes the caller's tenant's retention (RLS: config:manage), audited with what it was and what it is. */
export async function changeRetention(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  change: Partial<RetentionRow>,
): Promise<RetentionRow> {
  const [result] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<RetentionRow>(sql`with before as (
        select ${RETENTION_COLUMNS} from tenants where id = ${principal.tenantId}
      ), changed as (
        update tenants set
          audit_retention_years = coalesce(${change.audit_years ?? null}::smallint, audit_retention_years),
          confidential_retention_years = case when ${"confidential_years" in change}::boolean then ${change.confidential_years ?? null}::smallint
                                              else confidential_retention_years end
        where id = ${principal.tenantId} returning ${RETENTION_COLUMNS}
      ), audit as (
        insert into audit_log ${AUDIT_COLUMNS}
        select ${auditValues(facts, principal, {
          action: "tenant.retention_update",
          targetType: "tenant",
          targetId: principal.tenantId,
          details: sql`jsonb_build_object('before', (select to_jsonb(b) from before b), 'after', to_jsonb(c))`,
        })} from changed c
      )
      select * from changed`),
  ]);
  const row = result.rows[0];
  if (!row) throw new AppError("FORBIDDEN", "Only a System Admin changes the tenant's retention", { permission: "config:manage" });
  return row;
}
