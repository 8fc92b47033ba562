import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { CalendarList, CalendarQuery, DayParams, Holiday, HolidayList, YearQuery } from "./schemas";
import { addHoliday, listCalendars, listHolidays, removeHoliday } from "./service";

/** A holiday the demo tenant (`acme`) does not have yet: Good Friday 2027, for everyone on the default calendar. */
const GOOD_FRIDAY = { day: "2027-03-26", name: "Good Friday", calendar: "default" };

const list = createRoute({
  method: "get",
  path: "/v1/holidays",
  tags: ["Holidays"],
  operationId: "listHolidays",
  summary: "List holidays",
  description:
    "One of the tenant's holiday calendars in one calendar year, by date: days no request of those who follow it is charged for. " +
    "Default: the calendar you follow. For any signed-in user.",
  ...signedIn("self:read"),
  request: { query: YearQuery },
  responses: {
    200: jsonResponse("Holidays", HolidayList, {
      calendar: "default",
      data: [
        { day: "2026-12-25", name: "Christmas Day", calendar: "default" },
        { day: "2026-12-26", name: "Boxing Day", calendar: "default" },
      ],
    }),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

const add = createRoute({
  method: "post",
  path: "/v1/holidays",
  tags: ["Holidays"],
  operationId: "addHoliday",
  summary: "Add a holiday",
  description:
    "Adds a day to one of the tenant's holiday calendars (`default` unless named; a new key starts a new calendar): requests " +
    "submitted afterwards by those who follow it are not charged for it (earlier requests keep what they were charged). HR Admins " +
    "and System Admins only; a day that is a holiday of that calendar already is a `CONFLICT`. Audited as `holiday.add`.",
  ...signedIn("policy:manage"),
  request: { body: jsonBody(Holiday, GOOD_FRIDAY) },
  responses: { 201: jsonResponse("Added", Holiday, GOOD_FRIDAY), ...errorResponses("VALIDATION_FAILED", "CONFLICT", ...SIGNED_IN_ERRORS) },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/holidays/{day}",
  tags: ["Holidays"],
  operationId: "removeHoliday",
  summary: "Remove a holiday",
  description:
    "Removes a day from one of the tenant's holiday calendars (`default` unless named): requests submitted afterwards are charged " +
    "for it when it is a working day (earlier requests keep what they were charged). HR Admins and System Admins only; audited as " +
    "`holiday.remove`.",
  ...signedIn("policy:manage"),
  request: { params: DayParams, query: CalendarQuery },
  responses: { 204: { description: "Removed" }, ...errorResponses("VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS) },
});

const calendars = createRoute({
  method: "get",
  path: "/v1/holiday-calendars",
  tags: ["Holidays"],
  operationId: "listHolidayCalendars",
  summary: "List holiday calendars",
  description:
    "The tenant's holiday calendars in use (one per location): each with a holiday or followed by an employee, with how many " +
    "holidays it has and how many of the employees you see follow it. An employee follows one (`holiday_calendar` on " +
    "`PATCH /v1/employees/{id}`). For any signed-in user.",
  ...signedIn("self:read"),
  responses: {
    200: jsonResponse("Calendars", CalendarList, {
      data: [
        { calendar: "berlin", holidays: 10, employees: 2 },
        { calendar: "default", holidays: 9, employees: 4 },
      ],
    }),
    ...errorResponses(...SIGNED_IN_ERRORS),
  },
});

export const holidayRoutes = createRouter()
  .openapi(calendars, async (c) => c.json(await listCalendars(c.get("config"), c.get("principal")), 200))
  .openapi(list, async (c) => c.json(await listHolidays(c.get("config"), c.get("principal"), c.req.valid("query")), 200))
  .openapi(add, async (c) => c.json(await addHoliday(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("json")), 201))
  .openapi(remove, async (c) => {
    await removeHoliday(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("param").day, c.req.valid("query").calendar);
    return c.body(null, 204);
  });
