import type { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { DEFAULT_HOLIDAY_CALENDAR } from "../../db/schema";
import { AUDIT_COLUMNS, auditValues, type RequestFacts } from "../../domain/audit";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import { AppError } from "../../kernel/errors";
import type { CalendarList, Holiday, HolidayList } from "./schemas";

type HolidayView = z.infer<typeof Holiday>;

/** One calendar's holidays in a year: the one named, else the caller's own (`default` without an employee record). */
export async function listHolidays(
  config: Config,
  principal: Principal,
  query: { year: number; calendar?: string | undefined },
): Promise<z.infer<typeof HolidayList>> {
  const calendar = sql`coalesce(${query.calendar ?? null}::text, (select holiday_calendar from employees where id = ${principal.employeeId}::uuid), ${DEFAULT_HOLIDAY_CALENDAR})`;
  const [rows] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<{
        calendar: string;
        data: HolidayView[];
      }>(sql`select c.calendar, coalesce((select jsonb_agg(jsonb_build_object('day', h.day, 'name', h.name, 'calendar', h.calendar) order by h.day)
          from holidays h where h.tenant_id = ${principal.tenantId} and h.calendar = c.calendar
            and h.day between ${`${query.year}-01-01`}::date and ${`${query.year}-12-31`}::date), '[]') as data
        from (select ${calendar} as calendar) c`),
    ],
    { readOnly: true },
  );
  return rows.rows[0]!;
}

/** The tenant's calendars in use: those with a holiday or followed by an employee the caller sees. */
export async function listCalendars(config: Config, principal: Principal): Promise<z.infer<typeof CalendarList>> {
  const [rows] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<{ calendar: string; holidays: number; employees: number }>(sql`select k.calendar,
          (select count(*)::int from holidays h where h.tenant_id = ${principal.tenantId} and h.calendar = k.calendar) as holidays,
          (select count(*)::int from employees e where e.tenant_id = ${principal.tenantId} and e.holiday_calendar = k.calendar) as employees
        from (select calendar from holidays where tenant_id = ${principal.tenantId}
              union select holiday_calendar from employees where tenant_id = ${principal.tenantId}) k(calendar)
        order by k.calendar`),
    ],
    { readOnly: true },
  );
  return { data: rows.rows };
}

export async function addHoliday(config: Config, facts: RequestFacts, principal: Principal, holiday: HolidayView): Promise<HolidayView> {
  const [inserted] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<HolidayView>(sql`with added as (
        insert into holidays (tenant_id, calendar, day, name) values (${principal.tenantId}, ${holiday.calendar}, ${holiday.day}, ${holiday.name})
          on conflict do nothing returning day::text, name, calendar),
      audit as (insert into audit_log ${AUDIT_COLUMNS} select ${auditValues(facts, principal, { action: "holiday.add", targetType: "holiday", targetId: holiday.day, details: { name: holiday.name, calendar: holiday.calendar } })} from added)
      select * from added`),
  ]);
  if (!inserted.rows[0])
    throw new AppError("CONFLICT", "That day is a holiday of this calendar already", { day: holiday.day, calendar: holiday.calendar });
  return inserted.rows[0];
}

export async function removeHoliday(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  day: string,
  calendar: string,
): Promise<void> {
  const [removed] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<{
      n: number;
    }>(sql`with removed as (delete from holidays where tenant_id = ${principal.tenantId} and calendar = ${calendar} and day = ${day} returning day),
      audit as (insert into audit_log ${AUDIT_COLUMNS} select ${auditValues(facts, principal, { action: "holiday.remove", targetType: "holiday", targetId: day, details: { calendar } })} from removed)
      select count(*)::int as n from removed`),
  ]);
  if (removed.rows[0]!.n === 0) throw new AppError("RESOURCE_NOT_FOUND", "No such holiday", { day, calendar });
}
