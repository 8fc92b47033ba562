import { z } from "@hono/zod-openapi";
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/door";
import type { Principal } from "../kernel/context";
import { AppError } from "../kernel/errors";

/** What reads about one employee need: who it is, and that the caller may see it (row-level security decides). */
export type EmployeeRow = { id: string; time_zone: string; name: string };

/** The employee a read is about: the one named, else the caller's own record. */
export function targetEmployee(principal: Principal, named?: string): string {
  const id = named ?? principal.employeeId;
  if (!id) throw new AppError("RESOURCE_NOT_FOUND", "You have no employee record; name an employee_id");
  return id;
}

/** A statement for the read's own batch: the employee as the caller sees it (no row when it may not). */
export const employeeLookup = (db: Db, id: string) => db.execute<EmployeeRow>(employeesWhere(sql`e.id = ${id}`));

/** The employees `which` selects (over `e`) as the caller sees them, with their names, by id. */
export const employeesWhere = (which: SQL) =>
  sql`select e.id, e.time_zone, u.display_name as name from employees e join users u on u.id = e.user_id where ${which} order by e.id`;

/** The looked-up employee, or 404 (other tenants' employees included). */
export function seenOrNotFound(result: { rows: EmployeeRow[] }, id: string): EmployeeRow {
  const row = result.rows[0];
  if (!row) throw new AppError("RESOURCE_NOT_FOUND", "No such employee", { employee_id: id });
  return row;
}

/** A time zone the runtime knows (IANA name), so dates can be computed in it. */
export const TimeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "an IANA time zone such as Europe/Berlin");

/** ISO weekdays worked (1 = Monday … 7 = Sunday), each once, at least one. */
export const WorkWeek = z
  .array(z.number().int().min(1).max(7))
  .min(1)
  .max(7)
  .refine((days) => new Set(days).size === days.length, "each weekday once")
  .openapi({ example: [1, 2, 3, 4, 5] });

/**
 * What erasure writes in place of a person's email and number (`app.erase_employee`): nobody may give these to a
 * living person, or that person's erasure could never take place (the unique keys would refuse it).
 */
const ERASED_EMAIL = /@erased\.invalid$/i;
const ERASED_NUMBER = /^erased-/i;

/** A sign-in email, unique in the tenant (case-insensitively). */
export const SignInEmail = z
  .email()
  .max(254)
  .refine((email) => !ERASED_EMAIL.test(email), "the domain erased.invalid is the erased people's");

/** The number of the tenant's HR records, unique in the tenant. */
export const EmployeeNumber = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((n) => !ERASED_NUMBER.test(n), "numbers starting with erased- are the erased people's");
