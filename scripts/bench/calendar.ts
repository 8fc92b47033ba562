import { DEMO_HOLIDAY_DAYS } from "../lib/seed-data";

const DAY_MS = 86_400_000;

/** The load's submissions start this far ahead, clear of the days a bench books for single calls. */
export const LOAD_LEAD_DAYS = 35;

/** Today's date (UTC) moved by `days`, as YYYY-MM-DD. */
export const isoDay = (days = 0): string => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);

/**
 * `count` working days (Mon–Fri, none a holiday of the seeded calendars) as YYYY-MM-DD, from `leadDays` after today
 * on: the benches submit leave on dates relative to the day they run, so they keep working next year.
 */
export function workingDaysAhead(count: number, leadDays: number): string[] {
  const days: string[] = [];
  for (let ms = Date.now() + leadDays * DAY_MS; days.length < count; ms += DAY_MS) {
    const date = new Date(ms);
    const day = date.toISOString().slice(0, 10);
    if (date.getUTCDay() !== 0 && date.getUTCDay() !== 6 && !DEMO_HOLIDAY_DAYS.has(day)) days.push(day);
  }
  return days;
}
