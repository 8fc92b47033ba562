import { z } from "@hono/zod-openapi";

/** The tenant's holiday calendar: days no request is charged for. */
export const Holiday = z
  .object({ day: z.iso.date(), name: z.string().min(1).max(200).openapi({ description: "Shown to employees, e.g. in a calendar" }) })
  .openapi("Holiday");
export const HolidayList = z.object({ data: z.array(Holiday).openapi({ description: "By date" }) });
export const YearQuery = z.object({
  year: z.coerce.number().int().min(2000).max(2100).openapi({ description: "A calendar year", example: 2026 }),
});
export const DayParams = z.object({ day: z.iso.date().openapi({ param: { name: "day", in: "path" }, example: "2027-03-26" }) });
