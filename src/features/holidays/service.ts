import type { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { DEFAULT_HOLIDAY_CALENDAR } from "../../db/schema";
import { ledgerFacts, type RequestFacts } from "../../domain/audit";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import type { CalendarList, Holiday, HolidayChange, HolidayList } from "./schemas";

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

/**
 * Adds or removes a holiday and reprices, in the same transaction, the open requests of those who follow the
 * calendar and whose span covers the day (`app.change_holiday`).
 */
export async function changeHoliday(
  config: Config,
  facts: RequestFacts,
  principal: Principal,
  change: { action: "add"; holiday: HolidayView } | { action: "remove"; day: string; calendar: string },
): Promise<z.infer<typeof HolidayChange>> {
  const input = change.action === "add" ? { action: "add", ...change.holiday } : change;
  const payload = { ...input, now: new Date(facts.now).toISOString(), facts: ledgerFacts(facts) };
  const [result] = await runInDatabase(config, userCaller(principal), (db) => [
    db.execute<{ change: z.infer<typeof HolidayChange> }>(sql`select app.change_holiday(${JSON.stringify(payload)}::jsonb) as change`),
  ]);
  return result.rows[0]!.change;
}
