import { z } from "@hono/zod-openapi";
import { CalendarDate } from "../../kernel/dates";
import { queryInteger } from "../../kernel/pagination";

/** The tenant's holiday calendar: days no request is charged for. */
export const Holiday = z
  .object({ day: CalendarDate, name: z.string().min(1).max(200).openapi({ description: "Shown to employees, e.g. in a calendar" }) })
  .openapi("Holiday");
export const HolidayList = z.object({ data: z.array(Holiday).openapi({ description: "By date" }) });
export const YearQuery = z.object({
  year: queryInteger(2000, 2100).openapi({ description: "A calendar year", example: 2026 }),
});
export const DayParams = z.object({ day: CalendarDate.openapi({ param: { name: "day", in: "path" }, example: "2027-03-26" }) });
