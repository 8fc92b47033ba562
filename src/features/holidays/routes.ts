import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { DayParams, Holiday, HolidayList, YearQuery } from "./schemas";
import { addHoliday, listHolidays, removeHoliday } from "./service";

const list = createRoute({
  method: "get",
  path: "/v1/holidays",
  tags: ["Holidays"],
  summary: "The tenant's holidays in a year",
  ...signedIn("self:read"),
  request: { query: YearQuery },
  responses: { 200: jsonResponse("Holidays", HolidayList), ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS) },
});

const add = createRoute({
  method: "post",
  path: "/v1/holidays",
  tags: ["Holidays"],
  summary: "Add a holiday (HR Admin, System Admin). Requests submitted afterwards are not charged for it. Audited.",
  ...signedIn("policy:manage"),
  request: { body: jsonBody(Holiday) },
  responses: { 201: jsonResponse("Added", Holiday), ...errorResponses("VALIDATION_FAILED", "CONFLICT", ...SIGNED_IN_ERRORS) },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/holidays/{day}",
  tags: ["Holidays"],
  summary: "Remove a holiday (HR Admin, System Admin). Audited.",
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
