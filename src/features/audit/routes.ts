import { createRoute, z } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { createRouter, errorResponses, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { AuditExportQuery, AuditPage, AuditQuery, Verification, VerificationQuery } from "./schemas";
import { EXPORT_FORMATS, exportAuditEntries, listAuditEntries, verifyAuditChains } from "./service";

const listAudit = createRoute({
  method: "get",
  path: "/v1/audit",
  operationId: "listAuditEntries",
  tags: ["Audit"],
  summary: "List the tenant's audit log",
  description:
    "Every audited action of the caller's tenant (sign-ins, role and credential changes, ledger writes, …), newest first, a page at a time: " +
    "pass `next_cursor` as `cursor` until `has_more` is false. Filter by `action`, by actor (`actor_id`), by subject (`target_type`, " +
    "`target_id`) and by time (`from` inclusive, `to` exclusive); filters combine. HR Admin, System Admin or Auditor.",
  ...signedIn("audit:read"),
  request: { query: AuditQuery },
  responses: {
    200: jsonResponse("A page of entries", AuditPage, {
      data: [
        {
          id: 1843,
          occurred_at: "2026-11-17T10:05:12.447Z",
          actor_type: "user",
          actor_id: "00000000-0000-4000-8100-000000000102",
          action: "role.assign",
          target_type: "user",
          target_id: "00000000-0000-4000-8100-000000000104",
          success: true,
          ip: "203.0.113.24",
          user_agent:
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
          request_id: "4f8e2c1a-7b3d-4e9f-a6c2-1d5b8e0f3a72",
          details: { role: "manager" },
          personal_details: null,
          personal_data_erased: false,
        },
        {
          id: 1842,
          occurred_at: "2026-11-17T09:29:48.031Z",
          actor_type: "anonymous",
          actor_id: null,
          action: "auth.login",
          target_type: "user",
          target_id: "00000000-0000-4000-8100-000000000104",
          success: false,
          ip: "198.51.100.7",
          user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
          request_id: "9a1d3f5b-2c4e-4f6a-8b7c-0e2d4f6a8c91",
          details: { method: "password", identifier_known: true, failures: 1 },
          personal_details: null,
          personal_data_erased: false,
        },
      ],
      pagination: { next_cursor: "WzE4NDJd", has_more: true },
    }),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

const verifyChain = createRoute({
  method: "get",
  path: "/v1/audit/verification",
  operationId: "verifyAuditChain",
  tags: ["Audit"],
  summary: "Verify the tenant's audit hash chains",
  description:
    "Every audit entry is a link in one of the tenant's hash chains: its hash covers its predecessor's and the entry (personal fields " +
    "through a salted digest, so erasing them keeps it valid). This checks up to 100 000 entries per call, in id order, and names the " +
    "first that does not follow: inserted, missing a predecessor, altered, or after a retention checkpoint that is not validly signed; " +
    "the call that reaches the end also checks that no chain lost its newest entries. For more entries, call again with `after_id` set " +
    "to `next_after_id` until it is null. Read-only; HR Admin, System Admin or Auditor.",
  ...signedIn("audit:read"),
  request: { query: VerificationQuery },
  responses: {
    200: jsonResponse("The verdict", Verification, { checked: 1843, valid: true, first_broken: null, next_after_id: null }),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

const exportAudit = createRoute({
  method: "get",
  path: "/v1/audit/export",
  operationId: "exportAuditEntries",
  tags: ["Audit"],
  summary: "Export the tenant's audit log",
  description:
    "The entries `GET /v1/audit` would list with the same filters, all of them, newest first, streamed as NDJSON or CSV (for audit " +
    "evidence). Read a page at a time while the client reads, so any size streams in bounded memory; if reading fails midway the " +
    "stream ends abruptly rather than cleanly, so an incomplete file is never mistaken for a complete one. CSV cells a spreadsheet " +
    "would run as a formula are prefixed with `'`. The export itself is audited (`audit.export`). HR Admin, System Admin or Auditor.",
  ...signedIn("audit:read"),
  request: { query: AuditExportQuery },
  responses: {
    200: {
      description: "The entries, one per line",
      content: {
        "application/x-ndjson": {
          schema: z.string(),
          example:
            '{"id":1843,"occurred_at":"2026-11-17T10:05:12.447Z","actor_type":"user","actor_id":"00000000-0000-4000-8100-000000000102","action":"role.assign","target_type":"user","target_id":"00000000-0000-4000-8100-000000000104","success":true,"ip":"203.0.113.24","user_agent":"curl/8.11.0","request_id":"4f8e2c1a-7b3d-4e9f-a6c2-1d5b8e0f3a72","details":{"role":"manager"},"personal_details":null,"personal_data_erased":false}\n',
        },
        "text/csv": {
          schema: z.string(),
          example:
            'id,occurred_at,actor_type,actor_id,action,target_type,target_id,success,ip,user_agent,request_id,details,personal_details,personal_data_erased\n1843,2026-11-17T10:05:12.447Z,user,00000000-0000-4000-8100-000000000102,role.assign,user,00000000-0000-4000-8100-000000000104,true,203.0.113.24,curl/8.11.0,4f8e2c1a-7b3d-4e9f-a6c2-1d5b8e0f3a72,"{""role"":""manager""}",,false\n',
        },
      },
    },
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

export const auditRoutes = createRouter()
  .openapi(exportAudit, async (c) => {
    const { format, ...filters } = c.req.valid("query");
    const stream = await exportAuditEntries(c.get("config"), requestFacts(c), c.get("principal"), filters, format);
    const day = new Date(c.get("now")).toISOString().slice(0, 10);
    return c.body(stream, 200, {
      "Content-Type": EXPORT_FORMATS[format].contentType,
      "Content-Disposition": `attachment; filename="audit-${day}.${format}"`,
    });
  })
  .openapi(verifyChain, async (c) => {
    const { after_id, limit } = c.req.valid("query");
    return c.json(await verifyAuditChains(c.get("config"), c.get("principal"), after_id, limit), 200);
  })
  .openapi(listAudit, async (c) => c.json(await listAuditEntries(c.get("config"), c.get("principal"), c.req.valid("query")), 200));
