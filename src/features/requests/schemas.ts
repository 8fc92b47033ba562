import { z } from "@hono/zod-openapi";
import { END_PARTS, POLICY_KEY_PATTERN, REQUEST_STATUSES, START_PARTS } from "../../db/schema";
import { daysBetween, whenDatesValid } from "../../domain/calendar";
import { RequestCommentSchema } from "../../domain/leave-requests";
import { MAX_REQUEST_SPAN_DAYS } from "../../kernel/constants";
import { CalendarDate } from "../../kernel/dates";
import { PageQuery } from "../../kernel/pagination";

const day = (example: string) => CalendarDate.openapi({ example });
/** Comparing the dates only makes sense once the body and each date are valid. */
const bothDatesValid = whenDatesValid("start_date", "end_date");

const requestFields = {
  employee_id: z.uuid().optional().openapi({
    description:
      "Record the request on this employee's behalf (HR Admin, System Admin; a manager for a direct report where the policy allows). Default: yourself",
  }),
  policy_key: z.string().regex(POLICY_KEY_PATTERN).openapi({ example: "pto-standard" }),
  start_date: day("2026-12-21"),
  end_date: day("2026-12-23"),
  start_part: z.enum(START_PARTS).default("morning").openapi({ description: "`afternoon`: only the second half of the first day" }),
  end_part: z.enum(END_PARTS).default("evening").openapi({ description: "`midday`: only the first half of the last day" }),
};

/** The end is not before the start, and a request spans at most MAX_REQUEST_SPAN_DAYS. */
function requestDates<T extends z.ZodType<{ start_date: string; end_date: string }>>(schema: T) {
  return schema
    .refine((b) => b.end_date >= b.start_date, { path: ["end_date"], error: "must not be before start_date", when: bothDatesValid })
    .refine((b) => daysBetween(b.start_date, b.end_date) < MAX_REQUEST_SPAN_DAYS, {
      path: ["end_date"],
      error: `a request spans at most ${MAX_REQUEST_SPAN_DAYS} days`,
      when: bothDatesValid,
    });
}

export const SubmitRequestBody = requestDates(
  z.object({ ...requestFields, reason: z.string().max(500).optional().openapi({ description: "A note for your approver" }) }),
).openapi("SubmitLeaveRequest");

/** How far after the request's end a simulation's path may reach. */
const MAX_PATH_DAYS_AFTER_END = 3 * 366;

export const SimulationBody = requestDates(
  z.object({
    ...requestFields,
    until: CalendarDate.optional().openapi({
      description:
        "The last day of the balance path: on or after the employee's today and the end date. Default: 31 December of the end date's year",
      example: "2027-03-31",
    }),
  }),
)
  .refine((b) => !b.until || b.until >= b.end_date, { path: ["until"], error: "must not be before end_date", when: bothDatesValid })
  .refine((b) => !b.until || daysBetween(b.end_date, b.until) <= MAX_PATH_DAYS_AFTER_END, {
    path: ["until"],
    error: "at most 3 years after end_date",
    when: bothDatesValid,
  })
  .openapi("LeaveRequestSimulationInput");

const PathStep = z
  .object({
    date: CalendarDate,
    kind: z.string().openapi({
      description:
        "`opening` (the posted balance today), a ledger entry's kind for entries already dated in the future, `accrual` (due and not yet " +
        "posted), `pending` (another request waiting for approval, as if approved), `request` (this one, per day), `expiry`, " +
        "`carryover_out` and `carryover_in` (the year-end rollover and carried-over days expiring)",
    }),
    amount: z.number().openapi({ description: "In the policy's unit, signed" }),
    balance: z.number().openapi({ description: "The balance after this step" }),
    projected: z.boolean().openapi({ description: "Not in the ledger: what accruals, the rollover or approvals would post" }),
  })
  .openapi("BalancePathStep");

export const SimulationSchema = z
  .object({
    employee_id: z.uuid(),
    employee_name: z.string(),
    policy_key: z.string(),
    unit: z.string(),
    tracking: z.string(),
    days: z.number().openapi({ description: "Working days charged" }),
    amount: z.number().openapi({ description: "What the request costs, in the policy's unit" }),
    outcome: z.enum(["pending", "approved", "refused"]).openapi({
      description: "What submitting it now would do: wait for approval, be approved at once (a policy without approvers), or be refused",
    }),
    refusal: z
      .object({ code: z.enum(["INSUFFICIENT_BALANCE", "CONFLICT"]), message: z.string() })
      .nullable()
      .openapi({ description: "Why it would be refused; null otherwise" }),
    available_now: z.number().nullable().openapi({ description: "What a submission is checked against now; null for an untracked policy" }),
    today: CalendarDate.openapi({ description: "The employee's today: where the path starts" }),
    until: CalendarDate.openapi({ description: "Where the path ends" }),
    path: z.array(PathStep).openapi({ description: "Every change from today to `until`, in order, with the balance after it" }),
    closing_balance: z.number().openapi({ description: "The balance on `until`" }),
    lowest: z
      .object({ date: CalendarDate, balance: z.number() })
      .openapi({ description: "The lowest balance on the path, first reached on `date`" }),
    below_allowance: z
      .boolean()
      .nullable()
      .openapi({ description: "Whether the path goes below the negative allowance; null for an untracked policy" }),
  })
  .openapi("LeaveRequestSimulation");

export const RequestListQuery = PageQuery.extend({
  employee_id: z.uuid().optional().openapi({ description: "Default: your own requests" }),
  status: z.enum(REQUEST_STATUSES).optional().openapi({ description: "Only requests in this status" }),
});

export const CommentBody = z
  .object({ body: z.string().trim().min(1).max(2000).openapi({ description: "The comment (confidential: sealed before it is stored)" }) })
  .openapi("NewRequestComment");
export const CommentThread = z.object({ data: z.array(RequestCommentSchema) }).openapi("RequestCommentThread");
