import { z } from "@hono/zod-openapi";
import { LEAVE_CATEGORIES } from "../../db/schema";
import { daysBetween, whenDatesValid } from "../../domain/calendar";
import { CalendarDate } from "../../kernel/dates";
import { Pagination, queryInteger } from "../../kernel/pagination";

/** The longest window one call covers, in days (a month), and the most people on one page. */
export const MAX_ABSENCE_WINDOW_DAYS = 31;
export const MAX_ABSENCE_PAGE = 500;

const bothDatesValid = whenDatesValid("from", "to");

export const AbsenceQuery = z
  .object({
    from: CalendarDate.openapi({ description: "The first day of the window", example: "2026-12-21" }),
    to: CalendarDate.openapi({
      description: `The last day of the window (at most ${MAX_ABSENCE_WINDOW_DAYS} days in all)`,
      example: "2026-12-27",
    }),
    scope: z.enum(["team", "tenant"]).default("team").openapi({
      description: "`team`: your direct reports (managers); `tenant`: everyone (HR Admin, System Admin, Auditor)",
    }),
    limit: queryInteger(1, MAX_ABSENCE_PAGE)
      .default(100)
      .openapi({ description: `People per page (at most ${MAX_ABSENCE_PAGE})`, example: 100 }),
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,2048}$/, "a cursor from a previous page")
      .optional()
      .openapi({ description: "`next_cursor` of the previous page; leave out for the first page" }),
  })
  .refine((q) => q.to >= q.from, { path: ["to"], error: "must not be before from", when: bothDatesValid })
  .refine((q) => daysBetween(q.from, q.to) + 1 <= MAX_ABSENCE_WINDOW_DAYS, {
    path: ["to"],
    error: `a window spans at most ${MAX_ABSENCE_WINDOW_DAYS} days`,
    when: bothDatesValid,
  });
export type AbsenceFilter = z.output<typeof AbsenceQuery>;

const AbsenceDay = z
  .object({
    day: CalendarDate,
    part: z.enum(["day", "morning", "afternoon"]).openapi({ description: "`day`: the whole day; else the half taken" }),
    status: z.enum(["approved", "pending"]),
    policy_key: z.string(),
    category: z.enum(LEAVE_CATEGORIES),
    request_id: z.uuid(),
  })
  .openapi("AbsenceDay");

export const AbsencePage = z
  .object({
    from: CalendarDate,
    to: CalendarDate,
    data: z.array(
      z
        .object({
          employee_id: z.uuid(),
          employee_name: z.string(),
          days: z.array(AbsenceDay).openapi({ description: "Each day (or half day) out in the window, by day; no reasons" }),
        })
        .openapi("Absences"),
    ),
    pagination: Pagination,
  })
  .openapi("AbsencePage");
export type AbsencePage = z.infer<typeof AbsencePage>;
