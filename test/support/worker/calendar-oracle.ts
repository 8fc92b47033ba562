/**
 * The working-day calendar in TypeScript: an oracle the tests hold the SQL against (app.charged_half_days in
 * migrations/functions/55_calendar.sql), and date helpers for building test data. Production code counts days
 * in SQL only.
 */
import { type PlainDate, toDayNumber } from "../../../src/domain/calendar";

const PLAIN_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** The date, or null if `value` is not a real calendar date (2026-02-30 is not). */
export function parsePlainDate(value: string): PlainDate | null {
  const match = PLAIN_DATE.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return null;
  return value as PlainDate;
}

export function fromDayNumber(dayNumber: number): PlainDate {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10) as PlainDate;
}

export function addDays(date: PlainDate, days: number): PlainDate {
  return fromDayNumber(toDayNumber(date) + days);
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: PlainDate): number {
  const weekday = new Date(toDayNumber(date) * DAY_MS).getUTCDay();
  return weekday === 0 ? 7 : weekday;
}

/** Which days are worked: ISO weekdays of the work week, minus the tenant's holidays. */
export interface WorkCalendar {
  workWeek: ReadonlySet<number>;
  holidays: ReadonlySet<string>;
}

export const MONDAY_TO_FRIDAY: ReadonlySet<number> = new Set([1, 2, 3, 4, 5]);

export function isWorkingDay(calendar: WorkCalendar, date: PlainDate): boolean {
  return calendar.workWeek.has(isoWeekday(date)) && !calendar.holidays.has(date);
}

/** A request starts in the morning or the afternoon of its first day and ends at midday or the evening of its last. */
export type StartPart = "morning" | "afternoon";
export type EndPart = "midday" | "evening";

export interface DayCharge {
  date: PlainDate;
  /** 1 for a whole working day, 0.5 for half of one; non-working days are left out. */
  amount: 1 | 0.5;
  /** Which half of the day, when only half is taken. */
  half: "morning" | "afternoon" | null;
}

/**
 * The working days a request covers and what each costs. `start` to `end` inclusive; starting in the
 * afternoon takes only the second half of the first day, ending at midday only the first half of the last.
 * Returns null when the parts leave nothing of a one-day request (afternoon until midday).
 */
export function chargedDays(
  calendar: WorkCalendar,
  start: PlainDate,
  end: PlainDate,
  startPart: StartPart = "morning",
  endPart: EndPart = "evening",
): DayCharge[] | null {
  const first = toDayNumber(start);
  const last = toDayNumber(end);
  if (last < first) return null;
  if (first === last && startPart === "afternoon" && endPart === "midday") return null;
  const days: DayCharge[] = [];
  for (let n = first; n <= last; n++) {
    const date = fromDayNumber(n);
    if (!isWorkingDay(calendar, date)) continue;
    const afternoonOnly = n === first && startPart === "afternoon";
    const morningOnly = n === last && endPart === "midday";
    days.push(
      afternoonOnly
        ? { date, amount: 0.5, half: "afternoon" }
        : morningOnly
          ? { date, amount: 0.5, half: "morning" }
          : { date, amount: 1, half: null },
    );
  }
  return days;
}

export function totalCharge(days: DayCharge[]): number {
  return days.reduce((sum, day) => sum + day.amount, 0);
}
