import { sql } from "drizzle-orm";
import type { Db } from "../db/door";
import type { Principal } from "../kernel/context";
import { AppError } from "../kernel/errors";

/** What reads about one employee need: who it is, and that the caller may see it (row-level security decides). */
export type EmployeeRow = { id: string; time_zone: string };

/** The employee a read is about: the one named, else the caller's own record. */
export function targetEmployee(principal: Principal, named?: string): string {
  const id = named ?? principal.employeeId;
  if (!id) throw new AppError("RESOURCE_NOT_FOUND", "You have no employee record; name an employee_id");
  return id;
}

/** A statement for the read's own batch: the employee as the caller sees it (no row when it may not). */
export const employeeLookup = (db: Db, id: string) => db.execute<EmployeeRow>(sql`select id, time_zone from employees where id = ${id}`);

/** The looked-up employee, or 404 (other tenants' employees included). */
export function seenOrNotFound(result: { rows: EmployeeRow[] }, id: string): EmployeeRow {
  const row = result.rows[0];
  if (!row) throw new AppError("RESOURCE_NOT_FOUND", "No such employee", { employee_id: id });
  return row;
}
