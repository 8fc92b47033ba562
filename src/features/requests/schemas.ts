import { z } from "@hono/zod-openapi";
import { END_PARTS, POLICY_KEY_PATTERN, REQUEST_STATUSES, START_PARTS } from "../../db/schema";
import { type PlainDate, toDayNumber } from "../../domain/calendar";
import { RequestCommentSchema } from "../../domain/leave-requests";
import { MAX_REQUEST_SPAN_DAYS } from "../../kernel/constants";
import { CalendarDate } from "../../kernel/dates";
import { PageQuery } from "../../kernel/pagination";

const day = (example: string) => CalendarDate.openapi({ example });
/** Comparing the dates only makes sense once the body and each date are valid: a wrong start_date is one issue, not three. */
const bothDatesValid = (payload: { issues: readonly { path?: readonly PropertyKey[] }[] }) =>
  !payload.issues.some((issue) => !issue.path?.length || issue.path[0] === "start_date" || issue.path[0] === "end_date");
const spanDays = (start: string, end: string) => toDayNumber(end as PlainDate) - toDayNumber(start as PlainDate);

export const SubmitRequestBody = z
  .object({
    employee_id: z.uuid().optional().openapi({
      description:
        "Record the request on this employee's behalf (HR Admin, System Admin; a manager for a direct report where the policy allows). Default: yourself",
    }),
    policy_key: z.string().regex(POLICY_KEY_PATTERN).openapi({ example: "pto-standard" }),
    start_date: day("2026-12-21"),
    end_date: day("2026-12-23"),
    start_part: z.enum(START_PARTS).default("morning").openapi({ description: "`afternoon`: only the second half of the first day" }),
    end_part: z.enum(END_PARTS).default("evening").openapi({ description: "`midday`: only the first half of the last day" }),
    reason: z.string().max(500).optional().openapi({ description: "A note for your approver" }),
  })
  .refine((b) => b.end_date >= b.start_date, { path: ["end_date"], error: "must not be before start_date", when: bothDatesValid })
  .refine((b) => spanDays(b.start_date, b.end_date) < MAX_REQUEST_SPAN_DAYS, {
    path: ["end_date"],
    error: `a request spans at most ${MAX_REQUEST_SPAN_DAYS} days`,
    when: bothDatesValid,
  })
  .openapi("SubmitLeaveRequest");

export const RequestListQuery = PageQuery.extend({
  employee_id: z.uuid().optional().openapi({ description: "Default: your own requests" }),
  status: z.enum(REQUEST_STATUSES).optional().openapi({ description: "Only requests in this status" }),
});

export const CommentBody = z
  .object({ body: z.string().trim().min(1).max(2000).openapi({ description: "The comment (confidential: sealed before it is stored)" }) })
  .openapi("NewRequestComment");
export const CommentThread = z.object({ data: z.array(RequestCommentSchema) }).openapi("RequestCommentThread");
