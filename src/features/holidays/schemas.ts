import { z } from "@hono/zod-openapi";
import { DEFAULT_HOLIDAY_CALENDAR } from "../../db/schema";
import { HolidayCalendarKey } from "../../domain/calendar";
import { RequestCorrection } from "../../domain/leave-requests";
import { CalendarDate } from "../../kernel/dates";
import { queryInteger } from "../../kernel/pagination";

const CALENDAR = "The holiday calendar (one per location); the employees who follow it are not charged for its days";

/** A day of one of the tenant's holiday calendars: no request of those who follow it is charged for it. */
export const Holiday = z
  .object({
    day: CalendarDate,
    name: z.string().min(1).max(200).openapi({ description: "Shown to employees, e.g. in a calendar" }),
    calendar: HolidayCalendarKey.default(DEFAULT_HOLIDAY_CALENDAR).openapi({ description: `${CALENDAR}. Default: \`default\`` }),
  })
  .openapi("Holiday");
/** A holiday added or removed, with the open requests it repriced. */
export const HolidayChange = Holiday.extend({
  corrections: z.array(RequestCorrection).openapi({
    description:
      "The approved and pending requests of those who follow the calendar that covered the day, repriced in the same transaction: approved " +
      "leave gets a reversing and a new usage entry, a pending request a new hold; each is audited as `request.correct`",
  }),
}).openapi("HolidayChange");
export const HolidayList = z.object({
  calendar: z.string().openapi({ description: "The calendar listed" }),
  data: z.array(Holiday).openapi({ description: "By date" }),
});
export const YearQuery = z.object({
  year: queryInteger(2000, 2100).openapi({ description: "A calendar year", example: 2026 }),
  calendar: HolidayCalendarKey.optional().openapi({
    description: `${CALENDAR}. Default: the one you follow (\`default\` without an employee record)`,
  }),
});
export const DayParams = z.object({ day: CalendarDate.openapi({ param: { name: "day", in: "path" }, example: "2027-03-26" }) });
export const CalendarQuery = z.object({
  calendar: HolidayCalendarKey.default(DEFAULT_HOLIDAY_CALENDAR).openapi({ description: `${CALENDAR}. Default: \`default\`` }),
});
export const CalendarList = z
  .object({
    data: z
      .array(
        z.object({
          calendar: z.string(),
          holidays: z.number().int().openapi({ description: "Its holidays, all years" }),
          employees: z.number().int().openapi({ description: "The employees you see who follow it" }),
        }),
      )
      .openapi({ description: "Every calendar with a holiday or an employee, by key" }),
  })
  .openapi("HolidayCalendarList");
