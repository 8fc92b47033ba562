import { z } from "@hono/zod-openapi";
import { END_PARTS, POLICY_KEY_PATTERN, REQUEST_STATUSES, START_PARTS } from "../../db/schema";
import { PageQuery, Pagination } from "../../edge/pagination";
import { MAX_REQUEST_SPAN_DAYS } from "../../constants";
import { type PlainDate, toDayNumber } from "../../ledger/calendar";

const day = (example: string) => z.iso.date().openapi({ example });
const spanDays = (start: string, end: string) => toDayNumber(end as PlainDate) - toDayNumber(start as PlainDate);

export const SubmitRequestBody = z
  .object({
    policy_key: z.string().regex(POLICY_KEY_PATTERN).openapi({ example: "pto-standard" }),
    start_date: day("2026-12-21"),
    end_date: day("2026-12-23"),
    start_part: z.enum(START_PARTS).default("morning").openapi({ description: "`afternoon`: only the second half of the first day" }),
    end_part: z.enum(END_PARTS).default("evening").openapi({ description: "`midday`: only the first half of the last day" }),
    reason: z.string().max(500).optional(),
  })
  .refine((b) => b.end_date >= b.start_date, { path: ["end_date"], error: "must not be before start_date" })
  .refine((b) => spanDays(b.start_date, b.end_date) < MAX_REQUEST_SPAN_DAYS, { path: ["end_date"], error: `a request spans at most ${MAX_REQUEST_SPAN_DAYS} days` })
  .openapi("SubmitLeaveRequest");

export const DecisionBody = z.object({ comment: z.string().max(500).optional() }).openapi("Decision");

export const RequestParams = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

export const LeaveRequestSchema = z
  .object({
    id: z.uuid(),
    employee_id: z.uuid(),
    policy_key: z.string(),
    policy_version_id: z.uuid(),
    start_date: z.string(),
    end_date: z.string(),
    start_part: z.enum(START_PARTS),
    end_part: z.enum(END_PARTS),
    days: z.number().openapi({ description: "Working days covered (half days count 0.5)" }),
    amount: z.number().openapi({ description: "What the request costs, in the policy's unit" }),
    unit: z.string(),
    reason: z.string().nullable(),
    status: z.enum(REQUEST_STATUSES),
    approvals_required: z.number().int(),
    approvals: z.array(z.object({ approver_id: z.uuid(), decision: z.enum(["approve", "reject"]), comment: z.string().nullable(), decided_at: z.string() })),
    expires_at: z.string(),
    submitted_at: z.string(),
    resolved_at: z.string().nullable(),
  })
  .openapi("LeaveRequest");

export const RequestListQuery = PageQuery.extend({
  employee_id: z.uuid().optional().openapi({ description: "Default: your own requests" }),
  status: z.enum(REQUEST_STATUSES).optional(),
});

export const RequestPage = z.object({ data: z.array(LeaveRequestSchema), pagination: Pagination }).openapi("LeaveRequestPage");
