import { z } from "@hono/zod-openapi";
import { AuditEntry } from "../../domain/audit-entry";
import { LeaveRequestSchema, RequestCommentSchema } from "../../domain/leave-requests";
import { LedgerEntrySchema } from "../../domain/ledger-entries";
import type { DataKeyJson } from "../../domain/sealing";
import { ROLES } from "../../kernel/access";
import { CalendarDate } from "../../kernel/dates";

/** The export document's format, named in it: a change of shape gets a new version. */
export const EXPORT_FORMAT = "leave-ledger.subject-export.v1";
export const TENANT_EXPORT_FORMAT = "leave-ledger.tenant-export.v1";

export const EmployeeParams = z.object({
  id: z.uuid().openapi({
    param: { name: "id", in: "path", description: "The employee's id" },
    example: "00000000-0000-4000-8100-000000000205",
  }),
});

export const ErasureSchema = z
  .object({
    employee_id: z.uuid(),
    user_id: z.uuid(),
    erased_at: z.iso.datetime({ offset: true }).openapi({ description: "When the data was first erased (a repeat answers the same time)" }),
    data_keys_destroyed: z
      .number()
      .int()
      .openapi({ description: "Data keys destroyed by this call: what they sealed is unreadable for good" }),
    unsealed_fields_erased: z
      .number()
      .int()
      .openapi({ description: "Reasons, comments and notes written before sealed fields existed, set to null by this call" }),
    api_keys_revoked: z.number().int().openapi({ description: "API keys the person created, revoked by this call" }),
    audit_rows_erased: z.number().int().openapi({
      description: "Audit rows by or about the person whose personal fields (IP, user agent, personal details) this call erased",
    }),
  })
  .openapi("Erasure");
export type Erasure = z.infer<typeof ErasureSchema>;

const Instant = z.iso.datetime({ offset: true });

/** One page of a section of the export, as the database answers it (sealed fields with their keys). */
export interface StoredPage {
  items: Record<string, unknown>[];
  next: Record<string, unknown> | null;
  keys: Record<string, DataKeyJson>;
}

export const ApprovalGiven = z
  .object({
    id: z.uuid(),
    request_id: z.uuid(),
    employee_id: z.uuid().openapi({ description: "Whose request it was" }),
    decision: z.enum(["approve", "reject"]),
    comment: z
      .string()
      .nullable()
      .openapi({ description: "The comment you wrote; null when none (or when that person's data was erased)" }),
    decided_at: Instant,
  })
  .openapi("ApprovalGiven");

export const SubjectExport = z
  .object({
    format: z.literal(EXPORT_FORMAT).openapi({ description: "This document's format and version" }),
    exported_at: Instant,
    user: z.object({
      id: z.uuid(),
      email: z.string(),
      display_name: z.string(),
      status: z.string().openapi({ description: "`active`, `deactivated` or `erased`" }),
      external_subject: z.string().nullable().openapi({ description: "The subject of the tenant's SSO issuer linked to the account" }),
      created_at: Instant,
      erased_at: Instant.nullable(),
    }),
    employee: z.object({
      id: z.uuid(),
      employee_number: z.string(),
      manager_id: z.uuid().nullable(),
      time_zone: z.string(),
      hire_date: CalendarDate,
      work_week: z.array(z.number().int()),
      created_at: Instant,
    }),
    tenant: z.object({ id: z.uuid(), slug: z.string(), name: z.string() }),
    roles: z.array(z.enum(ROLES)),
    policy_assignments: z.array(z.object({ policy_key: z.string(), starts_on: CalendarDate, ends_on: CalendarDate.nullable() })),
    balances: z
      .array(z.object({ policy_key: z.string(), posted: z.number(), pending: z.number() }))
      .openapi({ description: "Per policy, every entry counted (as `GET /v1/employees/{id}/balances` without `as_of`)" }),
    sessions: z
      .array(
        z.object({
          family_id: z.uuid(),
          kiosk: z.boolean(),
          started_at: Instant,
          last_refreshed_at: Instant,
          expires_at: Instant,
          ended_at: Instant.nullable(),
        }),
      )
      .openapi({ description: "Sign-ins (refresh token families), oldest first; tokens themselves are never shown" }),
    api_keys: z.array(
      z.object({
        id: z.uuid(),
        name: z.string(),
        prefix: z.string(),
        role: z.enum(ROLES),
        scopes: z.array(z.string()),
        created_at: Instant,
        rotated_at: Instant.nullable(),
        last_used_at: Instant.nullable(),
        revoked_at: Instant.nullable(),
      }),
    ),
    ledger_entries: z.array(LedgerEntrySchema).openapi({ description: "Every entry of the person's balances, by id" }),
    leave_requests: z.array(LeaveRequestSchema).openapi({ description: "Their requests, reasons and comments opened, oldest first" }),
    approvals_given: z.array(ApprovalGiven).openapi({ description: "Decisions they made on others' requests, oldest first" }),
    comments: z.array(RequestCommentSchema).openapi({
      description: "Comments on their requests and those they wrote on others', opened, in the order they were written",
    }),
    audit: z.array(AuditEntry).openapi({ description: "Audit rows by them or about them (as user, employee or their requests), by id" }),
  })
  .openapi("SubjectExport");

const RetentionYears = z.number().int().min(1).max(100);

export const RetentionSchema = z
  .object({
    audit_years: RetentionYears.openapi({
      description: "Audit rows are purged (behind signed checkpoints) this many years after they were written",
    }),
    confidential_years: RetentionYears.nullable().openapi({
      description:
        "A year's reasons, comments and notes are destroyed (its data keys shredded) this many full years after the year ended; null: kept until erasure",
    }),
  })
  .openapi("Retention");

export const RetentionChange = RetentionSchema.partial()
  .refine((change) => Object.keys(change).length > 0, "name audit_years, confidential_years or both")
  .openapi("RetentionChange");
