import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { CalendarList, CalendarQuery, DayParams, Holiday, HolidayChange, HolidayList, YearQuery } from "./schemas";
import { changeHoliday, listCalendars, listHolidays } from "./service";

/** A holiday the demo tenant (`acme`) does not have yet: Good Friday 2027, for everyone on the default calendar. */
const GOOD_FRIDAY = { day: "2027-03-26", name: "Good Friday", calendar: "default" };
/** Emma's approved leave over Easter 2027, repriced when Good Friday became a holiday. */
const GOOD_FRIDAY_CORRECTION = {
  request_id: "7c1e9a40-3d2b-4f8e-b6a5-0e9d8c7b6a51",
  employee_id: "00000000-0000-4000-8100-000000000204",
  employee_name: "Emma Employee",
  policy_key: "pto-standard",
  unit: "day",
  status: "approved" as const,
  days_before: 3,
  days_after: 2,
  amount_before: 3,
  amount_after: 2,
  available: 14.5,
  below_allowance: false,
  reason: "2027-03-26 (Good Friday) became a holiday of calendar default",
};

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
    "Adds a day to one of the tenant's holiday calendars (`default` unless named; a new key starts a new calendar): those who follow " +
    "it are not charged for it. Their approved and pending requests that cover the day are repriced in the same transaction (each " +
    "listed in `corrections`, audited as `request.correct`, and shown on the request with the reason). HR Admins and System Admins " +
    "only; a day that is a holiday of that calendar already is a `CONFLICT`. Audited as `holiday.add`.",
  ...signedIn("policy:manage"),
  request: { body: jsonBody(Holiday, GOOD_FRIDAY) },
  responses: {
    201: jsonResponse("Added", HolidayChange, { ...GOOD_FRIDAY, corrections: [GOOD_FRIDAY_CORRECTION] }),
    ...errorResponses("VALIDATION_FAILED", "CONFLICT", ...SIGNED_IN_ERRORS),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/holidays/{day}",
  tags: ["Holidays"],
  operationId: "removeHoliday",
  summary: "Remove a holiday",
  description:
    "Removes a day from one of the tenant's holiday calendars (`default` unless named): those who follow it are charged for it when " +
    "it is a working day. Their approved and pending requests that cover the day are repriced in the same transaction and listed in " +
    "`corrections`: the charge is posted even where it takes a balance below its negative allowance (the day was taken), and " +
    "`below_allowance` flags it for HR here and in the `request.correct` audit row. HR Admins and System Admins only; audited as " +
    "`holiday.remove`.",
  ...signedIn("policy:manage"),
  request: { params: DayParams, query: CalendarQuery },
  responses: {
    200: jsonResponse("Removed", HolidayChange, {
      ...GOOD_FRIDAY,
      corrections: [
        {
          ...GOOD_FRIDAY_CORRECTION,
          days_before: 2,
          days_after: 3,
          amount_before: 2,
          amount_after: 3,
          available: -0.5,
          below_allowance: true,
          reason: "2027-03-26 (Good Friday) is no longer a holiday of calendar default",
        },
      ],
    }),
    ...errorResponses("VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS),
  },
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
  .openapi(add, async (c) =>
    c.json(await changeHoliday(c.get("config"), requestFacts(c), c.get("principal"), { action: "add", holiday: c.req.valid("json") }), 201),
  )
  .openapi(remove, async (c) => {
    const removal = { action: "remove" as const, day: c.req.valid("param").day, calendar: c.req.valid("query").calendar };
    return c.json(await changeHoliday(c.get("config"), requestFacts(c), c.get("principal"), removal), 200);
  });
