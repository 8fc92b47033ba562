import { z } from "@hono/zod-openapi";

/** The first day Postgres takes as a date: it has no year 0. */
const FIRST_DAY = "0001-01-01";
// Postgres refuses offsets beyond ±15:59 (SQLSTATE 22009): such an instant is bad input, not a database error.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-](0\d|1[0-5]):[0-5]\d)$/;

/** The one date type of the API: YYYY-MM-DD, a real calendar day, from year 1 on. */
export const CalendarDate = z.iso.date().refine((day) => day >= FIRST_DAY, `a date from ${FIRST_DAY} on`);

export const isCalendarDate = (value: unknown): value is string => CalendarDate.safeParse(value).success;

/** An instant as the API writes it (ISO 8601 with an offset), one Postgres takes back. */
export const isInstant = (value: unknown): value is string =>
  typeof value === "string" && INSTANT.test(value) && value >= FIRST_DAY && !Number.isNaN(Date.parse(value));

/** The one instant type of the API's input: ISO 8601 with `Z` or an offset, from year 1 on. */
export const Instant = z.string().refine(isInstant, "an instant such as 2026-11-17T10:05:12Z (with Z or an offset)");
