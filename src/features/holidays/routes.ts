import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { DayParams, Holiday, HolidayList, YearQuery } from "./schemas";
import { addHoliday, listHolidays, removeHoliday } from "./service";

/** A holiday the demo tenant (`acme`) does not have yet: Good Friday 2027. */
const GOOD_FRIDAY = { day: "2027-03-26", name: "Good Friday" };

const list = createRoute({
  method: "get",
  path: "/v1/holidays",
  tags: ["Holidays"],
  operationId: "listHolidays",
  summary: "List holidays",
  description: "The tenant's holidays in one calendar year, by date: days no request is charged for. For any signed-in user.",
  ...signedIn("self:read"),
  request: { query: YearQuery },
  responses: {
    200: jsonResponse("Holidays", HolidayList, {
      data: [
        { day: "2026-12-25", name: "Christmas Day" },
        { day: "2026-12-26", name: "Boxing Day" },
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
    "Adds a day to the tenant's holidays: requests submitted afterwards are not charged for it (earlier requests keep what they " +
    "were charged). HR Admins and System Admins only; a day that is a holiday already is a `CONFLICT`. Audited as `holiday.add`.",
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
    "Removes a day from the tenant's holidays: requests submitted afterwards are charged for it when it is a working day " +
    "(earlier requests keep what they were charged). HR Admins and System Admins only; audited as `holiday.remove`.",
  ...signedIn("policy:manage"),
  request: { params: DayParams },
  responses: { 204: { description: "Removed" }, ...errorResponses("VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS) },
});

export const holidayRoutes = createRouter()
  .openapi(list, async (c) => c.json(await listHolidays(c.get("config"), c.get("principal"), c.req.valid("query").year), 200))
  .openapi(add, async (c) => c.json(await addHoliday(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("json")), 201))
  .openapi(remove, async (c) => {
    await removeHoliday(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("param").day);
    return c.body(null, 204);
  });
