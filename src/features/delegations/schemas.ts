import { z } from "@hono/zod-openapi";
import { Instant } from "../../kernel/dates";
import { OffsetQuery } from "../../kernel/pagination";

export const DELEGATION_STATUSES = ["scheduled", "running", "ended", "revoked"] as const;

/** A manager's approvals handed to a colleague for a time window, as `app.delegation_json` builds it. */
export const Delegation = z
  .object({
    id: z.uuid(),
    delegator_id: z.uuid().openapi({ description: "The manager (employee id) whose approvals are delegated" }),
    delegator_name: z.string(),
    delegate_id: z.uuid().openapi({ description: "The colleague (employee id) who decides for them meanwhile" }),
    delegate_name: z.string(),
    starts_at: z.iso.datetime({ offset: true }),
    ends_at: z.iso.datetime({ offset: true }).openapi({ description: "When it ends by itself" }),
    status: z.enum(DELEGATION_STATUSES).openapi({ description: "At the time of the answer" }),
    created_by: z.uuid().openapi({ description: "The user who created it: the manager, or HR for them" }),
    created_at: z.iso.datetime({ offset: true }),
    revoked_at: z.iso.datetime({ offset: true }).nullable().openapi({ description: "When it was ended early; null otherwise" }),
  })
  .openapi("ApprovalDelegation");

export const NewDelegation = z
  .object({
    delegate_id: z.uuid().openapi({ description: "The colleague (employee id) who decides in your place: an active employee, not you" }),
    starts_at: Instant.optional().openapi({ description: "Default: now. Not in the past" }),
    ends_at: Instant.openapi({ description: "After `starts_at`, at most 366 days later" }),
    delegator_id: z.uuid().optional().openapi({
      description: "Whose approvals (employee id). Default: yours; HR Admins and System Admins may name any manager",
    }),
  })
  .openapi("NewApprovalDelegation");

export const DelegationParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "8d2f4a61-7c3e-4b19-a0d5-6e9f1b2c3d47" }),
});

export const DelegationQuery = OffsetQuery.extend({
  status: z.enum(DELEGATION_STATUSES).optional().openapi({ description: "Only delegations in this state now" }),
});

export const DelegationList = z
  .object({
    data: z.array(Delegation).openapi({ description: "Latest start first" }),
    total: z.number().int(),
    offset: z.number().int(),
    limit: z.number().int(),
  })
  .openapi("ApprovalDelegationList");
