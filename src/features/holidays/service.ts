import type { z } from "@hono/zod-openapi";
import { and, eq, gte, lte, sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { holidays } from "../../db/schema";
import { AUDIT_COLUMNS, auditValues, type RequestFacts } from "../../domain/audit";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import { AppError } from "../../kernel/errors";
import type { Holiday, HolidayList } from "./schemas";

type HolidayView = z.infer<typeof Holiday>;

export async function listHolidays(config: Config, principal: Principal, year: number): Promise<z.infer<typeof HolidayList>> {
  const [rows] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db
        .select({ day: holidays.day, name: holidays.name })
        .from(holidays)
        .where(and(eq(holidays.tenantId, principal.tenantId), gte(holidays.day, `${year}-01-01`), lte(holidays.day, `${year}-12-31`)))
        .orderBy(holidays.day),
    ],
    { readOnly: true },
  );
  return { data: rows };
}

export async function addHoliday(config: Config, facts: RequestFacts, principal: Principal, holiday: HolidayView): Promise<HolidayView> {
  const [inserted] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<HolidayView>(sql`with added as (
        insert into holidays (tenant_id, day, name) values (${principal.tenantId}, ${holiday.day}, ${holiday.name}) on conflict do nothing returning day::text, name),
      audit as (insert into audit_log ${AUDIT_COLUMNS} select ${auditValues(facts, principal, { action: "holiday.add", targetType: "holiday", targetId: holiday.day, details: { name: holiday.name } })} from added)
      select * from added`),
  ]);
  if (!inserted.rows[0]) throw new AppError("CONFLICT", "That day is a holiday already", { day: holiday.day });
  return inserted.rows[0];
}

export async function removeHoliday(config: Config, facts: RequestFacts, principal: Principal, day: string): Promise<void> {
  const [removed] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<{
      n: number;
    }>(sql`with removed as (delete from holidays where tenant_id = ${principal.tenantId} and day = ${day} returning day),
      audit as (insert into audit_log ${AUDIT_COLUMNS} select ${auditValues(facts, principal, { action: "holiday.remove", targetType: "holiday", targetId: day })} from removed)
      select count(*)::int as n from removed`),
  ]);
  if (removed.rows[0]!.n === 0) throw new AppError("RESOURCE_NOT_FOUND", "No such holiday", { day });
}
