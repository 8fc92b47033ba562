/**
 * Leave is counted in calendar days of the employee's own time zone, never in instants shifted by UTC: a day
 * off in Honolulu is one day even while UTC has already moved on. Dates here are plain `YYYY-MM-DD` strings;
 * arithmetic runs on day numbers (days since 1970-01-01), which have no time zone at all. Working days are
 * counted in SQL (migrations/functions/55_calendar.sql).
 */
import { z } from "@hono/zod-openapi";
import { HOLIDAY_CALENDAR_PATTERN } from "../db/schema";
import { FORECAST_HORIZON_YEARS } from "../kernel/constants";
import { AppError } from "../kernel/errors";

export type PlainDate = string & { readonly __plainDate: unique symbol };

const DAY_MS = 86_400_000;

/** Days since 1970-01-01. */
export function toDayNumber(date: PlainDate): number {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

/** Calendar days from `from` to `to`: 0 for the same day. */
export function daysBetween(from: string, to: string): number {
  return toDayNumber(to as PlainDate) - toDayNumber(from as PlainDate);
}

/**
 * A refinement's `when` for comparing dates: only once the body and each named date are valid, so a wrong date is
 * one issue, not three.
 */
export function whenDatesValid(...fields: string[]) {
  return (payload: { issues: readonly { path?: readonly PropertyKey[] }[] }) =>
    !payload.issues.some((issue) => !issue.path?.length || fields.includes(String(issue.path[0])));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date at `instantMs` in `timeZone` (an IANA name), e.g. "today" for an employee. */
export function dateIn(timeZone: string, instantMs: number): PlainDate {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(new Date(instantMs)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}` as PlainDate;
}

/**
 * The last day a forecast or a simulation may reach: FORECAST_HORIZON_YEARS after today in UTC. A later date is
 * refused (400 naming `field`) rather than projected: the cost grows with every month projected.
 */
export function assertWithinForecastHorizon(day: string | undefined | null, field: string, nowMs: number): void {
  const today = new Date(nowMs);
  const horizon = dateIn("UTC", Date.UTC(today.getUTCFullYear() + FORECAST_HORIZON_YEARS, today.getUTCMonth(), today.getUTCDate()));
  if (day && day > horizon)
    throw new AppError("VALIDATION_FAILED", "Too far ahead to project", {
      issues: [{ path: field, message: `on or before ${horizon} (${FORECAST_HORIZON_YEARS} years from today)`, code: "custom" }],
    });
}

/** A holiday calendar's key: one per location (`berlin`, `uk-england`); everyone follows `default` unless set. */
export const HolidayCalendarKey = z
  .string()
  .regex(HOLIDAY_CALENDAR_PATTERN, "2 to 63 lowercase letters, digits and dashes")
  .openapi({ example: "berlin" });
