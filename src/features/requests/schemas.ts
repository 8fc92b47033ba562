import { z } from "@hono/zod-openapi";
import { END_PARTS, POLICY_KEY_PATTERN, REQUEST_STATUSES, START_PARTS } from "../../db/schema";
import { type PlainDate, toDayNumber } from "../../domain/calendar";
import { MAX_REQUEST_SPAN_DAYS } from "../../kernel/constants";
import { PageQuery } from "../../kernel/pagination";

const day = (example: string) => z.iso.date().openapi({ example });
const spanDays = (start: string, end: string) => toDayNumber(end as PlainDate) - toDayNumber(start as PlainDate);

export const SubmitRequestBody = z
  .object({
    policy_key: z.string().regex(POLICY_KEY_PATTERN).openapi({ example: "pto-standard" }),
    start_date: day("2026-12-21"),
    end_date: day("2026-12-23"),
    start_part: z.enum(START_PARTS).default("morning").openapi({ description: "`afternoon`: only the second half of the first day" }),
    end_part: z.enum(END_PARTS).default("evening").openapi({ description: "`midday`: only the first half of the last day" }),
    reason: z.string().max(500).optional().openapi({ description: "A note for your approver" }),
  })
  .refine((b) => b.end_date >= b.start_date, { path: ["end_date"], error: "must not be before start_date" })
  .refine((b) => spanDays(b.start_date, b.end_date) < MAX_REQUEST_SPAN_DAYS, {
    path: ["end_date"],
    error: `a request spans at most ${MAX_REQUEST_SPAN_DAYS} days`,
  })
  .openapi("SubmitLeaveRequest");

export const RequestListQuery = PageQuery.extend({
  employee_id: z.uuid().optional().openapi({ description: "Default: your own requests" }),
  status: z.enum(REQUEST_STATUSES).optional().openapi({ description: "Only requests in this status" }),
});
