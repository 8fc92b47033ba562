import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, gte, lte, sql } from "drizzle-orm";
import { signedIn } from "../../auth/guard";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { holidays } from "../../db/schema";
import { AppError } from "../../edge/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../edge/openapi";
import { AUDIT_COLUMNS, auditValues, requestFacts } from "../audit/record";

/** The tenant's holiday calendar: days no request is charged for. */
const Holiday = z.object({ day: z.iso.date(), name: z.string().min(1).max(200) }).openapi("Holiday");
const YearQuery = z.object({ year: z.coerce.number().int().min(2000).max(2100).openapi({ example: 2026 }) });
const DayParams = z.object({ day: z.iso.date().openapi({ param: { name: "day", in: "path" } }) });

const list = createRoute({
  method: "get",
  path: "/v1/holidays",
  tags: ["Holidays"],
  summary: "The tenant's holidays in a year",
  ...signedIn("self:read"),
  request: { query: YearQuery },
  responses: { 200: jsonResponse("Holidays", z.object({ data: z.array(Holiday) })), ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS) },
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
  .openapi(list, async (c) => {
    const { year } = c.req.valid("query");
    const principal = c.get("principal");
    const [rows] = await runInDatabase(c.get("config"), userCaller(principal), (db) => [
      db
        .select({ day: holidays.day, name: holidays.name })
        .from(holidays)
        .where(and(eq(holidays.tenantId, principal.tenantId), gte(holidays.day, `${year}-01-01`), lte(holidays.day, `${year}-12-31`)))
        .orderBy(holidays.day),
    ], { readOnly: true });
    return c.json({ data: rows }, 200);
  })
  .openapi(add, async (c) => {
    const holiday = c.req.valid("json");
    const principal = c.get("principal");
    const [inserted] = await runInDatabase(c.get("config"), userCaller(principal), (db) => [
      db.execute<{ day: string; name: string }>(sql`with added as (
          insert into holidays (tenant_id, day, name) values (${principal.tenantId}, ${holiday.day}, ${holiday.name}) on conflict do nothing returning day::text, name),
        audit as (insert into audit_log ${AUDIT_COLUMNS} select ${auditValues(requestFacts(c), principal, { action: "holiday.add", targetType: "holiday", targetId: holiday.day, details: { name: holiday.name } })} from added)
        select * from added`),
    ]);
    if (!inserted.rows[0]) throw new AppError("CONFLICT", "That day is a holiday already", { day: holiday.day });
    return c.json(inserted.rows[0], 201);
  })
  .openapi(remove, async (c) => {
    const { day } = c.req.valid("param");
    const principal = c.get("principal");
    const [removed] = await runInDatabase(c.get("config"), userCaller(principal), (db) => [
      db.execute(sql`with removed as (delete from holidays where tenant_id = ${principal.tenantId} and day = ${day} returning day),
        audit as (insert into audit_log ${AUDIT_COLUMNS} select ${auditValues(requestFacts(c), principal, { action: "holiday.remove", targetType: "holiday", targetId: day })} from removed)
        select count(*)::int as n from removed`),
    ]);
    if ((removed.rows[0] as { n: number }).n === 0) throw new AppError("RESOURCE_NOT_FOUND", "No such holiday", { day });
    return c.body(null, 204);
  });
