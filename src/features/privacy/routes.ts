import { createRoute, z } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { targetEmployee } from "../../domain/employees";
import type { AppContext } from "../../kernel/context";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { exportSubject, exportTenant } from "./exports";
import { EmployeeParams, ErasureSchema, RetentionChange, RetentionSchema, SubjectExport } from "./schemas";
import { changeRetention, eraseEmployee, tenantRetention } from "./service";

const erase = createRoute({
  method: "post",
  path: "/v1/employees/{id}/erasure",
  operationId: "eraseEmployee",
  tags: ["Data protection"],
  summary: "Erase an employee's data",
  description:
    "The right to erasure: destroys the employee's data keys (every reason, comment and note sealed with them becomes unreadable, " +
    "in backups too once their retention has passed), replaces name, email, employee number, external identity and time zone by a " +
    "pseudonym, ends every session, deletes password and PIN, revokes the API keys they created, erases the personal fields of audit rows " +
    "by or about them, and makes the account unable to sign in again. The ledger's amounts and dates stay, so balances and " +
    "reconciliation still add up, and the audit chains still verify. System Admin only, never one's own, never the tenant's last " +
    "active System Admin (409). Repeating it answers the first erasure's time. Audited as `employee.erase`.",
  ...signedIn("employee:erase"),
  request: { params: EmployeeParams },
  responses: {
    200: jsonResponse("What was erased", ErasureSchema, {
      employee_id: "00000000-0000-4000-8100-000000000205",
      user_id: "00000000-0000-4000-8100-000000000105",
      erased_at: "2026-12-02T10:14:03.220+00:00",
      data_keys_destroyed: 1,
      unsealed_fields_erased: 0,
      api_keys_revoked: 0,
      audit_rows_erased: 12,
    }),
    ...errorResponses("VALIDATION_FAILED", "RESOURCE_NOT_FOUND", "CONFLICT", ...SIGNED_IN_ERRORS),
  },
});

const EXPORT_DESCRIPTION =
  "One JSON document (`SubjectExport`, format `leave-ledger.subject-export.v1`) with everything held about the person: profile, " +
  "roles, policy assignments, balances, ledger entries, requests with their reasons and comments opened, approvals they gave, " +
  "sign-in sessions, API keys they created, and the audit rows by or about them. Streamed while the client reads (a page of each " +
  "part per database round trip), so a long history stays within bounded memory; if reading fails midway the stream ends " +
  "abruptly, so an incomplete document never parses.";

/** Streamed, so declared with its charset: the document is still one JSON value of this schema. */
const streamedJson = (description: string) => ({
  description,
  content: { "application/json; charset=utf-8": { schema: SubjectExport } },
});

const exportMine = createRoute({
  method: "get",
  path: "/v1/me/export",
  operationId: "exportMyData",
  tags: ["Data protection"],
  summary: "Export my data",
  description: `The rights of access and portability. ${EXPORT_DESCRIPTION} Not from a kiosk (PIN) session.`,
  ...signedIn("self:manage"),
  responses: { 200: streamedJson("Everything held about you"), ...errorResponses(...SIGNED_IN_ERRORS) },
});

const exportEmployee = createRoute({
  method: "get",
  path: "/v1/employees/{id}/export",
  operationId: "exportEmployeeData",
  tags: ["Data protection"],
  summary: "Export an employee's data",
  description: `For a data subject's request made to HR. ${EXPORT_DESCRIPTION} HR Admin or System Admin; audited as a read of the person's confidential data (\`confidential.read\`, \`{"read": "export"}\`).`,
  ...signedIn("employee:export"),
  request: { params: EmployeeParams },
  responses: {
    200: streamedJson("Everything held about the employee"),
    ...errorResponses("VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS),
  },
});

const RETENTION_DESCRIPTION =
  "Applied by the daily job in chunks, each audited (`audit.purge`, `retention.shred`). Defaults: audit rows 7 years; " +
  "reasons, comments and notes 3 full years after the year of the leave (its data keys are destroyed, so every copy, " +
  "backups included once they expire, becomes unreadable). Refresh tokens are deleted once expired and idempotency keys " +
  "after 24 hours, for every tenant.";

const getRetention = createRoute({
  method: "get",
  path: "/v1/tenant/retention",
  operationId: "getRetention",
  tags: ["Data protection"],
  summary: "The tenant's retention",
  description: `How long the tenant keeps audit rows and confidential text. ${RETENTION_DESCRIPTION} HR Admin, System Admin or Auditor.`,
  ...signedIn("audit:read"),
  responses: {
    200: jsonResponse("The tenant's retention", RetentionSchema, { audit_years: 7, confidential_years: 3 }),
    ...errorResponses(...SIGNED_IN_ERRORS),
  },
});

const changeRetentionRoute = createRoute({
  method: "patch",
  path: "/v1/tenant/retention",
  operationId: "changeRetention",
  tags: ["Data protection"],
  summary: "Change the tenant's retention",
  description: `Sets either or both periods (1 to 100 years; \`confidential_years: null\` keeps confidential text until erasure). ${RETENTION_DESCRIPTION} System Admin; audited as \`tenant.retention_update\` with the values before and after.`,
  ...signedIn("config:manage"),
  request: { body: jsonBody(RetentionChange, { confidential_years: 2 }) },
  responses: {
    200: jsonResponse("The tenant's retention now", RetentionSchema, { audit_years: 7, confidential_years: 2 }),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

const exportTenantRoute = createRoute({
  method: "get",
  path: "/v1/tenant/export",
  operationId: "exportTenantData",
  tags: ["Data protection"],
  summary: "Export the whole tenant",
  description:
    "Everything the tenant holds, as NDJSON: one record per line, each with a `type` — first `tenant` (with the format, " +
    "`leave-ledger.tenant-export.v1`), then every `employee` (user, employee record, roles, policy assignments), `ledger_entry`, " +
    "`leave_request` (reasons and comments opened) and `audit` entry, each in the shape the rest of the API gives it. Streamed " +
    "a page of 1 000 per database round trip while the client reads, so any size streams in bounded memory; a failure midway " +
    "ends the stream abruptly. Audited as `tenant.export`, and every person whose reasons, comments or notes it holds as a read " +
    "of their confidential data. System Admin, signed in as a person.",
  ...signedIn("tenant:export"),
  responses: {
    200: {
      description: "The tenant, one record per line",
      content: {
        "application/x-ndjson": {
          schema: z.string(),
          example:
            '{"type":"tenant","id":"00000000-0000-4000-8100-000000000001","slug":"acme","name":"Acme Corporation","exported_at":"2026-12-02T10:14:03.220Z","format":"leave-ledger.tenant-export.v1","retention":{"audit_years":7,"confidential_years":3}}\n',
        },
      },
    },
    ...errorResponses(...SIGNED_IN_ERRORS),
  },
});

/** The export as a download named after the person and the day. */
/**
 * An export as a download named after what and the day. The body is one document of the route's schema, streamed
 * rather than built whole, which the routes' typed responses cannot say: hence the cast.
 */
const download = (c: AppContext, stream: ReadableStream<Uint8Array>, contentType: string, name: string) => {
  const day = new Date(c.get("now")).toISOString().slice(0, 10);
  const extension = contentType.endsWith("ndjson") ? "ndjson" : "json";
  return c.body(stream, 200, {
    "Content-Type": `${contentType}; charset=utf-8`,
    "Content-Disposition": `attachment; filename="${name}-${day}.${extension}"`,
  }) as never;
};

const exportResponse = async (c: AppContext, employeeId: string) =>
  download(
    c,
    await exportSubject(c.get("config"), c.get("principal"), requestFacts(c), employeeId),
    "application/json",
    `employee-${employeeId}`,
  );

export const privacyRoutes = createRouter()
  .openapi(exportTenantRoute, async (c) =>
    download(c, await exportTenant(c.get("config"), c.get("principal"), requestFacts(c)), "application/x-ndjson", "tenant"),
  )
  .openapi(getRetention, async (c) => c.json(await tenantRetention(c.get("config"), c.get("principal")), 200))
  .openapi(changeRetentionRoute, async (c) =>
    c.json(await changeRetention(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("json")), 200),
  )
  .openapi(exportMine, (c) => exportResponse(c, targetEmployee(c.get("principal"))))
  .openapi(exportEmployee, (c) => exportResponse(c, c.req.valid("param").id))
  .openapi(erase, async (c) =>
    c.json(await eraseEmployee(c.get("config"), c.env, requestFacts(c), c.get("principal"), c.req.valid("param").id), 200),
  );
